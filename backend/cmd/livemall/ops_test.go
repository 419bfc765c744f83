package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeOnNATSNeedsNoTURNSecret: serve used to refuse --nats-url with
// TURN on and no --turn-secret (a secret made up per node broke TURN
// credentials across nodes). Nodes now share the TURN secret through NATS
// or derive it from --cluster-secret, so no secret is required; a cluster
// secret that is too short, or given beside --turn-secret, is refused in
// one line before anything starts.
func TestServeOnNATSNeedsNoTURNSecret(t *testing.T) {
	nats := []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--payments", "offline", "--nats-url", "nats://127.0.0.1:1"}
	tests := []struct {
		name    string
		args    []string
		refused string // what the one-line refusal names; "" gets past the secrets
	}{
		{"no secret", []string{"--turn-addr", "127.0.0.1:0"}, ""},
		{"a TURN secret", []string{"--turn-addr", "127.0.0.1:0", "--turn-secret", "shared-by-all-nodes"}, ""},
		{"a cluster secret", []string{"--turn-addr", "127.0.0.1:0", "--cluster-secret", strings.Repeat("k", 32)}, ""},
		{"TURN off", []string{"--turn-addr", ""}, ""},
		{"a short cluster secret", []string{"--cluster-secret", "short"}, "--cluster-secret must be at least 32 characters"},
		{"both secrets", []string{"--cluster-secret", strings.Repeat("k", 32), "--turn-secret", "x"}, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := livemall(t, append(append(append([]string{}, nats...), dbFlags(t)...), tt.args...)...)
			if code == 0 {
				t.Fatalf("serve exited 0 with no NATS to reach: %s", stderr)
			}
			if tt.refused == "" {
				if strings.Contains(stderr, "secret") {
					t.Fatalf("refused for a secret: %q", stderr)
				}
				return
			}
			if !strings.Contains(stderr, tt.refused) || code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming %q", code, stderr, tt.refused)
			}
		})
	}
}

// TestServeRefusesEmbeddedClusterMistakes: --nats-routes (the embedded
// NATS of several nodes) and --nats-url exclude each other, and a route
// must be a nats:// URL; each refusal is one line, exit 1. (Like --nats-url,
// routes need no TURN secret: nodes share it through NATS.)
func TestServeRefusesEmbeddedClusterMistakes(t *testing.T) {
	base := []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--payments", "offline"}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"routes and an external NATS", []string{"--nats-routes", "nats://127.0.0.1:1", "--nats-url", "nats://127.0.0.1:2", "--turn-addr", ""}, "use one or the other"},
		{"a bad route", []string{"--nats-routes", "127.0.0.1:6222", "--turn-addr", ""}, "must look like nats://host:6222"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := livemall(t, append(append(append([]string{}, base...), dbFlags(t)...), tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

// TestServeMetricsOnTheirOwnListener: serve answers /metrics on
// --metrics-addr with the counters of the public port, whose own /metrics
// is a 404.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--turn-addr", "", "--metrics-addr", "127.0.0.1:0", "--payments", "offline"}, dbFlags(t)...)...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrs := make(chan [2]string, 1)
	go func() {
		var metrics string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch line.Msg {
			case "metrics":
				metrics = "http://" + line.Addr
			case "serving":
				addrs <- [2]string{"http://" + line.Addr, metrics}
			}
		}
	}()
	var base, metrics string
	select {
	case a := <-addrs:
		base, metrics = a[0], a[1]
	case <-time.After(60 * time.Second):
		t.Fatal("livemall serve did not start within 60s")
	}
	if metrics == "" {
		t.Fatal("serve logged no metrics listener")
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if st, _ := get(base + "/readyz"); st != 200 {
		t.Fatalf("readyz: %d", st)
	}
	if st, body := get(base + "/metrics"); st != 404 || strings.Contains(body, "livemall_http_requests_total") {
		t.Fatalf("public /metrics: %d %.200s, want 404", st, body)
	}
	st, body := get(metrics + "/metrics")
	if st != 200 || !strings.Contains(body, `livemall_http_requests_total{method="GET",route="/readyz",status="200"} 1`) {
		t.Fatalf("metrics listener: %d %.500s", st, body)
	}
}
