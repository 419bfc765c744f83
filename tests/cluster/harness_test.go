// Package cluster_test runs livemall as a shop would deploy it on several
// machines: scripts/cluster.sh puts three real nodes in network namespaces
// behind HAProxy, on a three-server NATS cluster and PostgreSQL, and the
// tests lose nodes with SIGKILL. They need root (network namespaces) and
// fail, never skip, without it.
package cluster_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	_ "github.com/jackc/pgx/v5/stdlib" // the test reads the cluster's database

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/database/dbtest"
	lmmedia "github.com/livemall/livemall/media"
)

// repoRoot is the repository, where scripts/ lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// cluster is one scripts/cluster.sh cluster started by a test.
type cluster struct {
	t     *testing.T
	repo  string
	env   []string
	net   string // the cluster's 10.93.X
	state string
	bin   string
	// Base is the balancer's URL; DB the cluster's database.
	Base string
	DB   *sql.DB
	URL  string // the database URL, from this namespace
}

// startCluster builds the binary and brings a cluster up with nodeFlags on
// every node; it is taken down when the test ends (its logs printed first
// if the test failed).
func startCluster(t *testing.T, nodeFlags string) *cluster {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the cluster runs in network namespaces: run this test as root (CI and make test do)")
	}
	repo := repoRoot(t)
	if os.Getenv("LIVEMALL_TEST_POSTGRES_URL") == "" {
		// The SQLite pass of make test runs this too: a cluster needs a
		// server database, so it gets a throwaway PostgreSQL of its own.
		out, err := exec.Command("bash", filepath.Join(repo, "scripts/postgres.sh")).Output()
		if err != nil {
			t.Fatalf("start PostgreSQL (scripts/postgres.sh): %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		dir := lines[0]
		t.Cleanup(func() { exec.Command("bash", filepath.Join(repo, "scripts/postgres.sh"), "stop", dir).Run() })
		t.Setenv("LIVEMALL_TEST_POSTGRES_URL", lines[len(lines)-1])
	}
	dbURL := dbtest.PostgresConfig(t).URL

	bin := filepath.Join(t.TempDir(), "livemall")
	build := exec.Command("go", "build", "-o", bin, "./backend/cmd/livemall")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build livemall: %v\n%s", err, out)
	}

	b := make([]byte, 2)
	rand.Read(b)
	id := "t" + hex.EncodeToString(b)[:3]
	subnet := fmt.Sprintf("10.93.%d", 100+int(b[0])%150)
	port := apptest.FreePort(t, "tcp4")
	state := filepath.Join(t.TempDir(), "cluster")
	c := &cluster{t: t, repo: repo, net: subnet, state: state, bin: bin, Base: fmt.Sprintf("http://127.0.0.1:%d", port), URL: dbURL}
	c.env = append(os.Environ(), "CLUSTER_ID="+id, "CLUSTER_NET="+subnet, "CLUSTER_DIR="+state, fmt.Sprintf("PORT=%d", port),
		// The apptest browsers speak for http://localhost:8080 (their
		// passkeys are bound to it); the balancer listens elsewhere.
		"PUBLIC_URL="+apptest.Origin, "DATABASE_URL="+dbURL, "LIVEMALL_BIN="+bin, "NODE_FLAGS="+nodeFlags)
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"node-1.log", "node-2.log", "node-3.log", "haproxy.log"} {
				raw, _ := os.ReadFile(filepath.Join(state, f))
				lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
				t.Logf("--- %s (last lines)\n%s", f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
			}
		}
		c.script("down")
	})
	if out, err := c.script("up"); err != nil {
		t.Fatalf("scripts/cluster.sh up: %v\n%s", err, out)
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.DB = db
	return c
}

// script runs scripts/cluster.sh with the cluster's settings.
func (c *cluster) script(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(c.repo, "scripts/cluster.sh")}, args...)...)
	cmd.Env, cmd.Dir = c.env, c.repo
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// NodeBase is node-N's own URL, from this namespace (through no balancer).
func (c *cluster) NodeBase(n int) string { return fmt.Sprintf("http://%s.1%d:8080", c.net, n) }

// Kill sends SIGKILL to node-N.
func (c *cluster) Kill(n int) {
	c.t.Helper()
	if out, err := c.script("kill", fmt.Sprintf("node-%d", n)); err != nil {
		c.t.Fatalf("kill node-%d: %v\n%s", n, err, out)
	}
}

// AddAgent adds an agent to the store with `livemall agent add` and
// enrolls their passkey through base.
func (c *cluster) AddAgent(store, name, base string) *apptest.Client {
	c.t.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + store + ".test"
	cmd := exec.Command(c.bin, "agent", "add", "--store", store, "--email", email, "--name", name,
		"--database-url", c.URL, "--data", c.t.TempDir(), "--public-url", apptest.Origin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("agent add %s: %v\n%s", name, err, out)
	}
	var link string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, l, ok := strings.Cut(sc.Text(), "enrollment link (one-time, valid 7 days): "); ok {
			link = l
		}
	}
	a := apptest.NewClient(c.t, nil)
	a.Remote = base
	if r := a.Enroll(apptest.TokenOf(c.t, link)); r.Status != 200 {
		c.t.Fatalf("enroll %s: %d %s", name, r.Status, r.Body)
	}
	return a
}

// wire is one browser's signaling socket: it reads in its own goroutine,
// hands every message to on, heartbeats, and reports when it breaks.
type wire struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	Closed chan struct{}
}

// dialWire opens c's signaling socket at base, retrying refused dials
// until the deadline (a balancer may still send the first try to a node
// that just died), and returns nil if it never opened.
func dialWire(c *apptest.Client, base string, within time.Duration, on func(w *wire, m lmmedia.Message)) *wire {
	h := http.Header{}
	h.Set("Origin", apptest.Origin)
	h.Set("User-Agent", c.UA)
	var cookies []string
	for k, v := range c.Cookies {
		cookies = append(cookies, k+"="+v)
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/ws"
	deadline := time.Now().Add(within)
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDial: (&net.Dialer{Timeout: 3 * time.Second}).Dial}
	for {
		conn, _, err := d.Dial(url, h)
		if err == nil {
			var hello lmmedia.Message
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			if err := conn.ReadJSON(&hello); err == nil && hello.Type == "hello" {
				conn.SetReadDeadline(time.Time{})
				w := &wire{conn: conn, Closed: make(chan struct{})}
				go w.run(on)
				return w
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// run reads until the socket breaks, heartbeating every second.
func (w *wire) run(on func(w *wire, m lmmedia.Message)) {
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				w.Send("heartbeat", "null")
			}
		}
	}()
	defer close(w.Closed)
	defer close(stop)
	for {
		var m lmmedia.Message
		if err := w.conn.ReadJSON(&m); err != nil {
			return
		}
		on(w, m)
	}
}

// Send writes one message; data is raw JSON ("null" sends none).
func (w *wire) Send(typ, data string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	msg := `{"type":"` + typ + `","v":1}`
	if data != "null" {
		msg = `{"type":"` + typ + `","v":1,"data":` + data + `}`
	}
	w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	w.conn.WriteMessage(websocket.TextMessage, []byte(msg))
}

// Close closes the socket.
func (w *wire) Close() { w.conn.Close() }

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	apptest.WaitFor(t, d, what, cond)
}
