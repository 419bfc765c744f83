package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/database/dbtest"
)

// binary is the livemall command built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "livemall-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "livemall")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic("build livemall: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dbFlags returns the flags that point a command at a fresh test database.
func dbFlags(t *testing.T) []string {
	cfg := dbtest.Config(t)
	flags := []string{"--data", t.TempDir()}
	if cfg.URL != "" {
		flags = append(flags, "--database-url", cfg.URL)
	}
	return flags
}

// livemall runs the binary to completion.
func livemall(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return o.String(), e.String(), exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// startServe starts `livemall serve` and returns the process and its base
// URL, read from its "serving" log line.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0", "--payments", "offline", "--metrics-addr", "127.0.0.1:0"}, args...)...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				urls <- "http://" + line.Addr
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(60 * time.Second):
		t.Fatal("livemall serve did not start within 60s")
	}
	return nil, ""
}

func TestServeExitsZeroSoonAfterSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, base := startServe(t, dbFlags(t)...)
			res, err := http.Get(base + "/readyz")
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", res, err)
			}
			res.Body.Close()
			start := time.Now()
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %v: %v", sig, err)
				}
				t.Logf("exited 0 in %v", time.Since(start))
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5s after %v", sig)
			}
			if _, err := http.Get(base + "/healthz"); err == nil {
				t.Fatalf("still accepting after shutdown")
			}
		})
	}
}

func TestUnopenableDatabaseIsOneLineAndExit1(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"postgres that does not answer", []string{"--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "livemall: open postgres database:"},
		{"data dir that is a file", []string{"--data", notADir}, "livemall: open database:"},
		{"unsupported URL", []string{"--database-url", "mysql://x"}, "unsupported database URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := livemall(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--payments", "offline"}, tt.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], tt.want) || strings.Contains(stderr, "panic") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

func TestMigrateUpDownStatus(t *testing.T) {
	flags := dbFlags(t)
	out, stderr, code := livemall(t, append([]string{"migrate", "status"}, flags...)...)
	if code != 0 || strings.Contains(out, "applied 2") || !strings.Contains(out, "pending") {
		t.Fatalf("status on a new database: %d %s %s", code, out, stderr)
	}
	out, _, code = livemall(t, append([]string{"migrate", "up"}, flags...)...)
	if code != 0 || strings.Contains(out, "pending") {
		t.Fatalf("up: %d %s", code, out)
	}
	out, _, code = livemall(t, append([]string{"migrate", "down"}, flags...)...)
	if code != 0 || strings.Count(out, "pending") != 1 {
		t.Fatalf("down: %d %s", code, out)
	}
	out, _, code = livemall(t, append([]string{"migrate", "up"}, flags...)...)
	if code != 0 || strings.Contains(out, "pending") {
		t.Fatalf("up again: %d %s", code, out)
	}
	if _, stderr, code := livemall(t, append([]string{"migrate", "sideways"}, flags...)...); code != 2 || !strings.Contains(stderr, "usage") {
		t.Fatalf("bad action: %d %s", code, stderr)
	}
}

func TestSeedIsIdempotentAndAgentAddPrintsAWorkingLink(t *testing.T) {
	flags := append(dbFlags(t), "--public-url", "http://localhost:9999")
	first, stderr, code := livemall(t, append([]string{"seed", "--demo"}, flags...)...)
	if code != 0 {
		t.Fatalf("seed: %d %s", code, stderr)
	}
	second, _, _ := livemall(t, append([]string{"seed", "--demo"}, flags...)...)
	counts := regexp.MustCompile(`(\d+) stores, (\d+) products, (\d+) add-on`)
	if a, b := counts.FindString(first), counts.FindString(second); a == "" || a != b {
		t.Fatalf("seed twice: %q then %q", a, b)
	}
	if !strings.Contains(second, "created 0 staff and 0 members") {
		t.Fatalf("second seed created accounts: %s", second)
	}
	out, stderr, code := livemall(t, append([]string{"agent", "add", "--store", "lumen-electronics", "--email", "kim@example.com"}, flags...)...)
	link := regexp.MustCompile(`http://localhost:9999/desk/\?enroll=[A-Za-z0-9_-]+`).FindString(out)
	if code != 0 || link == "" || !strings.Contains(out, "Kim") {
		t.Fatalf("agent add: %d %q %s", code, out, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", "lumen-electronics", "--email", "kim@example.com"}, "already exists"},
		{[]string{"--store", "no-such-store", "--email", "lee@example.com"}, "no store"},
		{[]string{"--store", "lumen-electronics", "--email", "not-an-email"}, "not a valid address"},
		{[]string{"--store", "lumen-electronics"}, "--store and --email are required"},
	} {
		_, stderr, code := livemall(t, append(append([]string{"agent", "add"}, tt.args...), flags...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Fatalf("agent add %v: exit %d %q, want 1 with %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestServeDemoPrintsAppsAndEnrollmentLinks(t *testing.T) {
	cmd := exec.Command(binary, append([]string{"serve", "--demo", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0"}, dbFlags(t)...)...)
	var out, logs syncBuffer
	cmd.Stdout = &out
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for !strings.Contains(out.String(), "enroll=") && ctx.Err() == nil {
		select {
		case <-exited:
			t.Fatalf("serve --demo exited early:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	s := out.String()
	for _, want := range []string{"/desk/", "/phone/", "agent ", "supervisor ", "admin ", "/desk/?enroll=", "valid 24 hours"} {
		if !strings.Contains(s, want) {
			t.Fatalf("serve --demo output lacks %q:\n%s", want, s)
		}
	}
	// The links go to the terminal only, never into the log stream.
	if l := logs.String(); strings.Contains(l, "enroll=") || !strings.Contains(l, `"demo seeded"`) {
		t.Fatalf("serve --demo log stream holds an enrollment link, or is not the log:\n%s", l)
	}
}

// syncBuffer is a bytes.Buffer that a child process may write while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMemberAddWhileServingAndManyAtOnce(t *testing.T) {
	flags := append(dbFlags(t), "--public-url", "http://localhost:9999")
	startServe(t, flags...)
	const n = 8
	type result struct {
		out, stderr string
		code        int
	}
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			out, stderr, code := livemall(t, append([]string{"member", "add", "--name", fmt.Sprintf("Staffer %d", i), "--email", fmt.Sprintf("staffer%d@corp.example", i), "--birthdate", "1988-08-08"}, flags...)...)
			results <- result{out, stderr, code}
		}(i)
	}
	numbers := map[string]bool{}
	number := regexp.MustCompile(`number: ([2-9]\d{3} \d{4} \d{4})\n`)
	for i := 0; i < n; i++ {
		r := <-results
		m := number.FindStringSubmatch(r.out)
		if r.code != 0 || m == nil || !strings.Contains(r.out, "/phone/?enroll=") {
			t.Fatalf("member add: exit %d\n%s%s", r.code, r.out, r.stderr)
		}
		if numbers[m[1]] {
			t.Fatalf("number %s given twice", m[1])
		}
		numbers[m[1]] = true
	}
	// A vanity number: granted when free, refused with suggestions when taken.
	out, stderr, code := livemall(t, append([]string{"member", "add", "--name", "V", "--email", "v@corp.example", "--birthdate", "1988-08-08", "--vanity", "8888.8888.8888"}, flags...)...)
	if code != 0 || !strings.Contains(out, "number: 8888 8888 8888") {
		t.Fatalf("vanity member add: %d %s %s", code, out, stderr)
	}
	_, stderr, code = livemall(t, append([]string{"member", "add", "--name", "W", "--email", "w@corp.example", "--birthdate", "1988-08-08", "--vanity", "8888 8888 8888"}, flags...)...)
	if code != 1 || !strings.Contains(stderr, "8888 8888 8887, 8888 8888 8889") {
		t.Fatalf("taken vanity member add: %d %s", code, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "X", "--email", "x@corp.example", "--birthdate", "88-08-08"}, "YYYY-MM-DD"},
		{[]string{"--name", "X", "--email", "x@corp.example", "--birthdate", "1988-08-08", "--vanity", "1234"}, "has 4"},
		{[]string{"--name", "X", "--email", "staffer1@corp.example", "--birthdate", "1988-08-08"}, "already exists"},
		{[]string{"--email", "x@corp.example"}, "are required"},
	} {
		_, stderr, code := livemall(t, append(append([]string{"member", "add"}, tt.args...), flags...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Fatalf("member add %v: %d %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestServeRefusesSilentOfflinePayments(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no provider chosen", nil, nil, "no payment provider: give the Stripe keys"},
		{"no provider chosen, as the message says", nil, nil, "--payments offline"},
		{"stripe without its keys", []string{"--payments", "stripe"}, nil, "--payments stripe needs --stripe-secret-key and --stripe-webhook-secret"},
		{"stripe without its webhook secret", []string{"--stripe-secret-key", "sk_test_x"}, nil, "needs --stripe-secret-key and --stripe-webhook-secret"},
		{"an unknown provider", []string{"--payments", "cash"}, nil, `--payments "cash": want stripe or offline`},
		{"an unknown provider from the environment", nil, []string{"LIVEMALL_PAYMENTS=free"}, `--payments "free"`},
		{"a hold under a minute", []string{"--payments", "offline", "--payment-hold", "30s"}, nil, "--payment-hold must be at least 1m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0", "--data", dir}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			var e bytes.Buffer
			cmd.Stderr = &e
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(e.String(), tt.want) {
				t.Fatalf("exit %v, stderr %q; want exit 1 with %q", err, e.String(), tt.want)
			}
			// Refused before anything started: no database was created.
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("the refused serve left %d files in its data dir", len(entries))
			}
		})
	}
	// Chosen explicitly, offline payments serve (startServe passes
	// --payments offline; --demo implies it: TestServeDemoPrintsAppsAndEnrollmentLinks).
	_, base := startServe(t, dbFlags(t)...)
	if res, err := http.Get(base + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("serve --payments offline: %v %v", res, err)
	}
}
