package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// natsProcess is a nats-server process with JetStream, as an external
// NATS deployment runs it, that a test can kill and start again.
type natsProcess struct {
	t     *testing.T
	bin   string
	port  int
	store string
	cmd   *exec.Cmd
	log   bytes.Buffer
}

// natsServerBin is the nats-server that scripts/deps.sh puts in the
// repository's .bin.
func natsServerBin(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	bin := filepath.Join(dir, ".bin", "nats-server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run scripts/deps.sh (make test does) to install nats-server", bin)
	}
	return bin
}

// startNATSProcess starts nats-server on a free loopback port with its
// JetStream store in a temporary directory.
func startNATSProcess(t *testing.T) *natsProcess {
	t.Helper()
	n := &natsProcess{t: t, bin: natsServerBin(t), port: apptest.FreePort(t, "tcp4"), store: t.TempDir()}
	n.start()
	t.Cleanup(n.kill)
	return n
}

// url is the client URL of the server.
func (n *natsProcess) url() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }

// start runs the server on its port and store and waits until it accepts
// connections.
func (n *natsProcess) start() {
	n.t.Helper()
	n.cmd = exec.Command(n.bin, "--jetstream", "--addr", "127.0.0.1", "--port", strconv.Itoa(n.port),
		"--store_dir", n.store, "--server_name", "test-nats")
	n.cmd.Stdout, n.cmd.Stderr = &n.log, &n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("start nats-server: %v", err)
	}
	apptest.WaitFor(n.t, 10*time.Second, "nats-server to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// kill ends the server with SIGKILL, as a crash would, and reaps it.
func (n *natsProcess) kill() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Kill()
	n.cmd.Wait()
	n.cmd = nil
}

// device is a signed-in member with an open signaling socket that
// heartbeats like a browser until closed.
type device struct {
	account string
	id      string
	conn    *websocket.Conn
	stop    chan struct{}
	done    sync.WaitGroup
}

// connectDevice signs a new member up on a and opens their socket on base,
// heartbeating every interval.
func connectDevice(t *testing.T, a *app.App, base, name string, every time.Duration) *device {
	t.Helper()
	c := apptest.NewClient(t, a)
	c.SignUp(name, name+"@example.com", "1980-01-01")
	s := c.OpenSocket(base)
	d := &device{account: c.AccountID(), id: c.Device, conn: s.Conn, stop: make(chan struct{})}
	d.done.Add(2)
	go func() { // read and drop what the server sends (error replies while NATS is down)
		defer d.done.Done()
		for {
			if _, _, err := d.conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer d.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-t.C:
				if d.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"heartbeat","v":1}`)) != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(d.close)
	return d
}

// close closes the socket, once.
func (d *device) close() {
	select {
	case <-d.stop:
		return
	default:
	}
	close(d.stop)
	d.conn.Close()
	d.done.Wait()
}

// stateOf returns the account's presence state as node a sees it.
func stateOf(t *testing.T, a *app.App, account string) directory.State {
	t.Helper()
	states, err := a.Directory.States(context.Background(), []string{account})
	if err != nil {
		return "" // NATS or the database is down: no state
	}
	return states[account]
}

// hasConn reports whether node a still holds a connection of the device.
func hasConn(a *app.App, deviceID string) bool {
	found := false
	a.Signaling.Conns(func(c *media.Conn) bool {
		found = found || c.DeviceID == deviceID
		return !found
	})
	return found
}

// checkStreamsOnDisk fails unless every stream in a's NATS is on disk
// with the node's replicas, and the app's own (presence, limits, secrets)
// are among them.
func checkStreamsOnDisk(t *testing.T, a *app.App) {
	t.Helper()
	want := map[string]bool{"KV_presence": true, "LM_LIMITS": true, "KV_lm_secrets": true}
	streams := a.Bus.JS.ListStreams(t.Context())
	for info := range streams.Info() {
		delete(want, info.Config.Name)
		if info.Config.Storage != jetstream.FileStorage || info.Config.Replicas != a.Bus.Replicas {
			t.Errorf("stream %s: storage %v, %d replicas; want file storage, %d", info.Config.Name, info.Config.Storage, info.Config.Replicas, a.Bus.Replicas)
		}
	}
	if err := streams.Err(); err != nil {
		t.Fatalf("list streams: %v", err)
	}
	if len(want) > 0 {
		t.Fatalf("streams missing: %v", want)
	}
}

// TestPresenceRecoversAfterNATSRestart runs a node on an external
// nats-server process that is killed with SIGKILL and started again, on
// the same store and on a fresh one (the store lost, so every bucket is
// gone): /readyz answers 503 meanwhile; afterwards the devices that stayed
// connected are online again (within a few heartbeats), the device that
// left during the outage is offline, a device that connects afterwards is
// online, /readyz answers 200, and heartbeats keep them online past the
// presence TTL.
func TestPresenceRecoversAfterNATSRestart(t *testing.T) {
	const heartbeat, ttl = time.Second, 3 * time.Second
	// States are polled with deadlines a few heartbeats long: they say a
	// server that makes no progress, not a speed.
	const within = 8 * heartbeat
	for _, tt := range []struct {
		name      string
		loseStore bool
	}{{"same store", false}, {"store lost", true}} {
		t.Run(tt.name, func(t *testing.T) {
			ns := startNATSProcess(t)
			a := apptest.New(t, func(c *config.Config) {
				c.NATSURL, c.Heartbeat, c.PresenceTTL = ns.url(), heartbeat, ttl
			})
			base := apptest.ServeOnLoopback(t, a)
			probe := apptest.NewClient(t, a)
			stayA := connectDevice(t, a, base, "stay-a", heartbeat)
			stayB := connectDevice(t, a, base, "stay-b", heartbeat)
			leaver := connectDevice(t, a, base, "leaver", heartbeat)
			for _, d := range []*device{stayA, stayB, leaver} {
				apptest.WaitFor(t, within, d.account+" online before the outage", func() bool {
					return stateOf(t, a, d.account) == directory.StateAvailable
				})
			}
			probe.Must(200, "GET", "/readyz", nil)

			ns.kill()
			apptest.WaitFor(t, within, "/readyz to answer 503 while NATS is down", func() bool {
				r := probe.Do("GET", "/readyz", nil)
				return r.Status == 503 && bytes.Contains([]byte(r.Body), []byte("NATS is not ready"))
			})
			leaver.close()
			apptest.WaitFor(t, within, "the node to see the leaver's socket closed", func() bool { return !hasConn(a, leaver.id) })
			if tt.loseStore {
				ns.store = t.TempDir()
			}
			ns.start()

			apptest.WaitFor(t, within, "/readyz to answer 200 again", func() bool { return probe.Do("GET", "/readyz", nil).Status == 200 })
			apptest.WaitFor(t, within, "the devices that stayed to be online and the leaver offline", func() bool {
				return stateOf(t, a, stayA.account) == directory.StateAvailable && stateOf(t, a, stayB.account) == directory.StateAvailable &&
					stateOf(t, a, leaver.account) == directory.StateOffline
			})
			late := connectDevice(t, a, base, "late", heartbeat)
			apptest.WaitFor(t, within, "a device connecting after the restart to be online", func() bool {
				return stateOf(t, a, late.account) == directory.StateAvailable
			})
			// Past a whole TTL, heartbeats alone keep them online: the
			// records live in a bucket that works again.
			until := time.Now().Add(ttl + heartbeat)
			for time.Now().Before(until) {
				for _, d := range []*device{stayA, stayB, late} {
					if st := stateOf(t, a, d.account); st != directory.StateAvailable {
						t.Fatalf("%s is %q after the restart, want available", d.account, st)
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			if st := stateOf(t, a, leaver.account); st != directory.StateOffline {
				t.Fatalf("the leaver is %q, want offline", st)
			}
			checkStreamsOnDisk(t, a)
		})
	}
}
