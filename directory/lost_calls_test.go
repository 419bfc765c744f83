package directory_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// cluster starts the named nodes on one database and one NATS server of
// their own, as the machines of a shop would run.
func cluster(t *testing.T, tweak func(*config.Config), names ...string) []*app.App {
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
	db := dbtest.Config(t)
	dataDir := db.DataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	node := func(name string) func(*config.Config) {
		return func(c *config.Config) {
			c.NATSURL, c.Node = ns.ClientURL(), name
			c.DatabaseURL, c.DataDir = db.URL, dataDir
			tweak(c)
		}
	}
	nodes := make([]*app.App, len(names))
	for i, name := range names {
		nodes[i] = apptest.New(t, node(name))
	}
	return nodes
}

// TestCallOnADeadNodeEndsAsConnectionLost: calls whose rooms were on a
// node that died are ended, stored with outcome connection_lost — at
// once when the other side hangs up into the missing room (node A), and by
// the sweep of a live node when nobody reports them (node C) — so the
// callee on node B is no longer busy. A call hosted on a live node is never
// touched, and nothing is ended while every node is up.
func TestCallOnADeadNodeEndsAsConnectionLost(t *testing.T) {
	nodes := cluster(t, func(c *config.Config) {
		c.RingTimeout = 2 * time.Minute
		// The sweeps run when the test says: the periodic one (every
		// heartbeat) stays out of the way.
		c.Heartbeat, c.PresenceTTL = 10*time.Minute, 20*time.Minute
	}, "node-a", "node-b", "node-c")
	nodeA, nodeB, nodeC := nodes[0], nodes[1], nodes[2]
	baseA, baseB, baseC := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB), apptest.ServeOnLoopback(t, nodeC)
	alice, erin := apptest.Member(t, nodeA, "Alice Dead Node"), apptest.Member(t, nodeC, "Erin Dead Node")
	bob, frank := apptest.Member(t, nodeB, "Bob Live Node"), apptest.Member(t, nodeB, "Frank Live Node")
	carol, dave := apptest.Member(t, nodeB, "Carol Live Node"), apptest.Member(t, nodeB, "Dave Live Node")
	pa, pe := apptest.NewPhone(t, alice, baseA), apptest.NewPhone(t, erin, baseC)
	pb, pf := apptest.NewPhone(t, bob, baseB), apptest.NewPhone(t, frank, baseB)
	pc, pd := apptest.NewPhone(t, carol, baseB), apptest.NewPhone(t, dave, baseB)
	bobNumber, frankNumber, daveNumber := bob.MyNumber(), frank.MyNumber(), dave.MyNumber()
	apptest.WaitFor(t, 5*time.Second, "the callees online", func() bool {
		return carol.Resolve(bobNumber).State == "available" && carol.Resolve(frankNumber).State == "available" && carol.Resolve(daveNumber).State == "available"
	})

	// Call 1, room on A: Alice (A) and Bob (B) talk.
	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	talk := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", talk, 5*time.Second)
	pb.Send("call.answer", map[string]any{"callId": talk})
	pb.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pa, pb)
	// Call 2, room on C: Erin (C) rings Frank (B), who does not answer.
	pe.Send("call.dial", map[string]any{"number": frankNumber, "video": false})
	ringing := apptest.CallIDOf(pe.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pf.Expect("call.incoming", ringing, 5*time.Second)
	// Call 3, room on B: Carol rings Dave, both on B.
	pc.Send("call.dial", map[string]any{"number": daveNumber, "video": false})
	onB := apptest.CallIDOf(pc.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pd.Expect("call.incoming", onB, 5*time.Second)

	// While A is up, no sweep on either node ends anything, however old
	// the calls are.
	apptest.WaitFor(t, 15*time.Second, "the calls to be old enough to be swept", func() bool {
		var n int64
		nodeB.DB.Table("calls").Where("id IN ? AND started_at < ?", []string{talk, ringing, onB}, time.Now().UTC().Add(-6*time.Second)).Count(&n)
		return n == 3
	})
	for _, n := range nodes {
		if ended, err := n.Calls.SweepLostCalls(t.Context()); err != nil || ended != 0 {
			t.Fatalf("sweep with every node up ended %d calls (err %v), want none", ended, err)
		}
	}
	for id, want := range map[string]string{talk: "active", ringing: "ringing", onB: "ringing"} {
		if st, _ := apptest.CallRecord(t, nodeB, id); st != want {
			t.Fatalf("call %s is %s with every node up, want %s", id, st, want)
		}
	}
	if st := carol.Resolve(bobNumber).State; st != "busy" {
		t.Fatalf("bob in a call is %s, want busy", st)
	}
	// Someone else hanging up a call they are not in ends nothing.
	pd.Send("call.hangup", map[string]any{"callId": talk})
	apptest.WaitMedia(t, pa, pb)
	if st, _ := apptest.CallRecord(t, nodeB, talk); st != "active" {
		t.Fatalf("a stranger's hang-up left the call %s, want active", st)
	}

	// Nodes A and C die: what the rest of the cluster sees of a SIGKILL is
	// a node's NATS connection gone (its rooms' and its ping's
	// subscriptions with it) and its rows left as they were.
	nodeA.Bus.Conn.Close()
	nodeC.Bus.Conn.Close()

	// Bob's media stopped; his phone hangs up into the missing room. The
	// refusal is the usual one, and the call ends as connection lost.
	pb.Send("call.hangup", map[string]any{"callId": talk})
	// The refusal comes at once when NATS already knows the room's
	// subscription is gone, else when the room request times out (5 s).
	pb.Expect("error", "there is no such call, or it has ended", 15*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the talk on node A to end as connection lost", func() bool {
		st, out := apptest.CallRecord(t, nodeB, talk)
		return st == "ended" && out == "connection_lost"
	})
	apptest.WaitFor(t, 5*time.Second, "bob to be available again", func() bool { return carol.Resolve(bobNumber).State == "available" })
	var duration *int64
	nodeB.DB.Table("calls").Select("duration_ms").Where("id = ?", talk).Scan(&duration)
	if duration == nil || *duration <= 0 {
		t.Fatalf("the answered call lost no duration: %v", duration)
	}

	// Nobody reports the ringing call: node B's sweep ends it.
	if st, _ := apptest.CallRecord(t, nodeB, ringing); st != "ringing" {
		t.Fatalf("the ringing call on dead node C is %s before any sweep, want ringing", st)
	}
	if ended, err := nodeB.Calls.SweepLostCalls(t.Context()); err != nil || ended != 1 {
		t.Fatalf("node B's sweep ended %d calls (err %v), want the ringing call on dead node C", ended, err)
	}
	if st, out := apptest.CallRecord(t, nodeB, ringing); st != "ended" || out != "connection_lost" {
		t.Fatalf("the ringing call on dead node C is %s/%s, want ended/connection_lost", st, out)
	}
	// Once ended, a call is never ended again; the live node's call is untouched.
	if ended, err := nodeB.Calls.SweepLostCalls(t.Context()); err != nil || ended != 0 {
		t.Fatalf("a second sweep ended %d calls (err %v), want none", ended, err)
	}
	if st, _ := apptest.CallRecord(t, nodeB, onB); st != "ringing" || nodeB.Calls.ActiveCalls() != 1 {
		t.Fatalf("the call hosted on live node B is %s (node B hosts %d), want still ringing", st, nodeB.Calls.ActiveCalls())
	}

	// Bob, free again, can be called and can call.
	pb.Send("call.dial", map[string]any{"number": frankNumber, "video": false})
	again := apptest.CallIDOf(pb.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pf.Expect("call.incoming", again, 5*time.Second)
}
