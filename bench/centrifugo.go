package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/fasthttp/websocket"
)

// centrifugoModule is the Centrifugo the presence memory ceiling runs.
const centrifugoModule = "github.com/centrifugal/centrifugo/v6@v6.9.1"

// centrifugoCeiling holds o.devices idle client connections on Centrifugo
// v6 and reports its RSS per connection next to livemall's. A Centrifugo
// that cannot be installed or started is reported in the output, never
// skipped silently.
func centrifugoCeiling(r *report, o options, ours float64) {
	bin, err := ensureCentrifugo(o.repoDir)
	if err != nil {
		r.set("centrifugo", "not measured: "+err.Error(), "")
		r.note("Centrifugo ceiling skipped: %v", err)
		return
	}
	perConn, err := measureCentrifugo(bin, o)
	if err != nil {
		r.set("centrifugo", "not measured: "+err.Error(), "")
		r.note("Centrifugo ceiling failed: %v", err)
		return
	}
	r.set("centrifugo_rss_per_connection_kib", perConn/1024, "KiB")
	r.set("ratio_rss_to_centrifugo", ratio(ours, perConn), "×")
}

// ensureCentrifugo installs Centrifugo into .bin/ unless it is there.
func ensureCentrifugo(repo string) (string, error) {
	bin := filepath.Join(repo, ".bin", "centrifugo")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "installing %s into .bin/ (a few minutes the first time)\n", centrifugoModule)
	cmd := exec.Command("go", "install", centrifugoModule)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(repo, ".bin"), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s failed: %v: %s", centrifugoModule, err, lastLines(string(out), 5))
	}
	return bin, nil
}

// measureCentrifugo starts Centrifugo with insecure (token-less) clients,
// connects the devices and returns the RSS added per connection.
func measureCentrifugo(bin string, o options) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := map[string]any{
		"client":      map[string]any{"insecure": true, "allowed_origins": []string{"*"}},
		"http_server": map[string]any{"address": "127.0.0.1", "port": fmt.Sprint(port)},
		"log":         map[string]any{"level": "error"},
	}
	raw, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(o.workDir, "centrifugo.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		return 0, err
	}
	name, argv := bin, []string{"--config", cfgPath}
	if o.pin {
		name, argv = "taskset", append([]string{"-c", "0", bin}, argv...)
	}
	cmd := exec.Command(name, argv...)
	logf, _ := os.Create(filepath.Join(o.workDir, "centrifugo.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() }()
	base := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if res, err := http.Get("http://" + base + "/health"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("centrifugo did not start (log %s)", filepath.Join(o.workDir, "centrifugo.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	pid := cmd.Process.Pid
	rss0 := procRSS(pid)
	gens, held, err := startGenerators(o, base, nil, o.devices, 200, "centrifugo-clients")
	defer stopGenerators(gens)
	if err != nil {
		return 0, err
	}
	time.Sleep(2 * time.Second)
	return float64(procRSS(pid)-rss0) / float64(max(1, held)), nil
}

// connectCentrifugo (in a load generator) opens count client connections and sends each the
// connect command, 32 at a time.
func connectCentrifugo(addr string, count int, src *sources) ([]*websocket.Conn, error) {
	return openConns(count, func(int) (*websocket.Conn, error) { return dialCentrifugo(addr, src) })
}

func dialCentrifugo(addr string, src *sources) (*websocket.Conn, error) {
	d := src.dialer()
	wd := websocket.Dialer{NetDial: func(_, _ string) (net.Conn, error) { return d.Dial("tcp", addr) },
		HandshakeTimeout: 15 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	conn, _, err := wd.Dial("ws://"+addr+"/connection/websocket", nil)
	if err != nil {
		return nil, fmt.Errorf("centrifugo connect: %w", err)
	}
	conn.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"connect":{"name":"bench"}}`))
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, reply, err := conn.ReadMessage()
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("centrifugo connect reply: %w", err)
	}
	var rep struct {
		Error *struct{ Message string } `json:"error"`
	}
	if json.Unmarshal(reply, &rep) == nil && rep.Error != nil {
		conn.Close()
		return nil, fmt.Errorf("centrifugo refused the connection: %s", rep.Error.Message)
	}
	// Centrifugo pings every 25 s and expects a pong ({}): answer them.
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if string(msg) == "{}" {
				conn.WriteMessage(websocket.TextMessage, []byte("{}"))
			}
		}
	}()
	return conn, nil
}
