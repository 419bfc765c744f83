package app_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/directory"
)

// startNATS runs a NATS server with JetStream on a random loopback port, as
// an external cluster would be.
func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// twoNodes starts nodes "node-a" and "node-b" on one database and one
// external NATS.
func twoNodes(t *testing.T, tweak ...func(*config.Config)) (*app.App, *app.App) {
	t.Helper()
	natsURL := startNATS(t)
	db := dbtest.Config(t)
	shared := func(node string) func(*config.Config) {
		return func(c *config.Config) {
			c.NATSURL, c.Node = natsURL, node
			c.DatabaseURL, c.DataDir = db.URL, db.DataDir
			if c.DataDir == "" {
				c.DataDir = t.TempDir()
			}
		}
	}
	return apptest.New(t, append([]func(*config.Config){shared("node-a")}, tweak...)...), apptest.New(t, append([]func(*config.Config){shared("node-b")}, tweak...)...)
}

// TestTwoNodesShareOneDirectory runs two nodes on one database and one
// external NATS: a device connected to node A is online, ringable on A and
// pushed to a watcher connected to node B.
func TestTwoNodesShareOneDirectory(t *testing.T) {
	nodeA, nodeB := twoNodes(t)
	baseA, baseB := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB)

	watcher := apptest.NewClient(t, nodeB)
	watcher.SignUp("Watcher", "w-b@example.com", "1980-01-01")
	ws := watcher.OpenSocket(baseB)
	ws.Send("directory.watch", "")

	m := apptest.NewClient(t, nodeA)
	m.SignUp("Member on A", "m-a@example.com", "1980-01-01")
	var me struct{ Account struct{ ID string } }
	m.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	num := m.MyNumber()
	m.OpenSocket(baseA)

	apptest.WaitFor(t, 5*time.Second, "node B to see the device online on node A", func() bool {
		r := watcher.Resolve(num)
		targets, err := nodeB.Directory.RingTargetsOf(t.Context(), me.Account.ID)
		return r.State == directory.StateAvailable && len(r.Ring) == 1 && err == nil && len(targets) == 1 && targets[0].Node == "node-a"
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		msg := ws.Next()
		if msg.Type == "presence" && string(msg.Data) == `{"accountId":"`+me.Account.ID+`","state":"available"}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher on node B got no presence event for the member on node A")
		}
	}
}

// TestCallAcrossTwoNodes: the caller is connected to node A, the callee to
// node B; the room lives on A and the callee's signaling crosses NATS.
func TestCallAcrossTwoNodes(t *testing.T) {
	nodeA, nodeB := twoNodes(t)
	baseA, baseB := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB)
	alice, bob := apptest.Member(t, nodeA, "Alice Node A"), apptest.Member(t, nodeB, "Bob Node B")
	pa, pb := apptest.NewPhone(t, alice, baseA), apptest.NewPhone(t, bob, baseB)
	bobNumber := bob.MyNumber()
	var bobMe struct{ Account struct{ ID string } }
	bob.Must(200, "GET", "/api/v1/me", nil).JSON(t, &bobMe)
	apptest.WaitFor(t, 5*time.Second, "bob online on node B", func() bool {
		r := alice.Resolve(bobNumber)
		targets, err := nodeA.Directory.RingTargetsOf(t.Context(), bobMe.Account.ID)
		return r.State == directory.StateAvailable && len(r.Ring) == 1 && err == nil && len(targets) == 1 && targets[0].Node == "node-b"
	})
	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pb.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pa, pb)
	if nodeA.Calls.ActiveCalls() != 1 || nodeB.Calls.ActiveCalls() != 0 {
		t.Fatalf("calls hosted: node A %d, node B %d; want the room on the caller's node", nodeA.Calls.ActiveCalls(), nodeB.Calls.ActiveCalls())
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
}
