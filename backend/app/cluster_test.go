package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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

// startNATSCluster runs three NATS servers with JetStream, each with its own
// store, joined by routes into one JetStream cluster on random loopback
// ports, as a shop's external NATS cluster would be. It returns the URLs
// of all three (comma-separated, as --nats-url takes them) once the
// cluster has a JetStream leader.
func startNATSCluster(t *testing.T) string {
	t.Helper()
	const n = 3
	var routes []string
	ports := make([]int, n)
	for i := range n {
		ports[i] = apptest.FreePort(t, "tcp4")
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	var urls []string
	servers := make([]*server.Server, n)
	for i := range n {
		ns, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("lm-test-nats-%d", i), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "lm-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatal(err)
		}
		go ns.Start()
		t.Cleanup(ns.Shutdown)
		servers[i] = ns
	}
	for _, ns := range servers {
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("NATS did not start")
		}
		urls = append(urls, ns.ClientURL())
	}
	url := strings.Join(urls, ",")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, 30*time.Second, "the NATS cluster to elect a JetStream leader", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return url
}

// twoNodes starts nodes "node-a" and "node-b" on one database and one
// external NATS.
func twoNodes(t *testing.T, tweak ...func(*config.Config)) (*app.App, *app.App) {
	t.Helper()
	return twoNodesOn(t, startNATS(t), tweak...)
}

// twoNodesOn starts nodes "node-a" and "node-b" on one database and the
// NATS at natsURL.
func twoNodesOn(t *testing.T, natsURL string, tweak ...func(*config.Config)) (*app.App, *app.App) {
	t.Helper()
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

// TestVoicemailRecordedOnOneNodePlaysFromAnother runs two nodes on one
// database and an external three-server NATS cluster keeping three copies
// of everything: a call from alice on node A to carol on node B goes
// unanswered, alice leaves a message (recorded in A's room), and carol
// plays it through node B: byte-identical to what A stored, and by range.
func TestVoicemailRecordedOnOneNodePlaysFromAnother(t *testing.T) {
	nodeA, nodeB := twoNodesOn(t, startNATSCluster(t), func(c *config.Config) {
		c.NATSReplicas = 3
		c.RingTimeout = 2 * time.Second
	})
	baseA, baseB := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB)
	alice, carol := apptest.Member(t, nodeA, "Alice Node A"), apptest.Member(t, nodeB, "Carol Node B")
	pa, pc := apptest.NewPhone(t, alice, baseA), apptest.NewPhone(t, carol, baseB)
	carolNumber := carol.MyNumber()
	apptest.WaitFor(t, 5*time.Second, "carol online on node B", func() bool { return alice.Resolve(carolNumber).State == directory.StateAvailable })

	pa.Send("call.dial", map[string]any{"number": carolNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pc.Expect("call.incoming", id, 5*time.Second)
	pa.Expect("call.state", `"outcome":"no_answer"`, 15*time.Second)
	pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
	audio0, _, _ := pa.SentMedia()
	apptest.WaitFor(t, time.Minute, "alice to speak for a second", func() bool {
		audio, _, _ := pa.SentMedia()
		return audio-audio0 >= time.Second
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 30*time.Second)
	if nodeA.SFU.RoomCount() != 0 || nodeB.Calls.ActiveCalls() != 0 {
		t.Fatalf("rooms left: node A %d, calls on node B %d", nodeA.SFU.RoomCount(), nodeB.Calls.ActiveCalls())
	}

	// What node A stored, read through A's own store.
	var row struct{ ID, BlobKey, Node string }
	if err := nodeA.DB.Table("messages").Select("id, blob_key, node").Where("call_id = ?", id).Take(&row).Error; err != nil {
		t.Fatalf("the message's row: %v", err)
	}
	if row.Node != "node-a" {
		t.Fatalf("the message was saved by %q, want node-a (the caller's room)", row.Node)
	}
	f, info, err := nodeA.Blobs.Open(t.Context(), row.BlobKey)
	if err != nil {
		t.Fatalf("node A's store: %v", err)
	}
	stored, err := io.ReadAll(f)
	f.Close()
	if err != nil || len(stored) < 1000 || int64(len(stored)) != info.Size {
		t.Fatalf("node A stored %d bytes (info %d), %v", len(stored), info.Size, err)
	}

	// Carol, on node B, plays it.
	var msgs []struct{ ID, MediaURL, ContentType string }
	apptest.WaitFor(t, 10*time.Second, "the message in carol's mailbox on node B", func() bool {
		all, _ := carol.Mailbox()
		msgs = msgs[:0]
		for _, m := range all {
			msgs = append(msgs, struct{ ID, MediaURL, ContentType string }{m.ID, m.MediaURL, m.ContentType})
		}
		return len(msgs) == 1
	})
	if msgs[0].ID != row.ID || msgs[0].ContentType != "video/webm" {
		t.Fatalf("carol's mailbox on node B: %+v, want %s (video/webm)", msgs, row.ID)
	}
	if carol.App != nodeB {
		t.Fatal("carol's requests do not go to node B")
	}
	r := carol.Must(200, "GET", msgs[0].MediaURL, nil)
	if sha256.Sum256([]byte(r.Body)) != sha256.Sum256(stored) {
		t.Fatalf("node B plays %d bytes, node A stored %d: not the same", len(r.Body), len(stored))
	}
	mid := len(stored) / 2
	rng := carol.Do("GET", msgs[0].MediaURL, nil, "Range", fmt.Sprintf("bytes=%d-%d", mid, mid+999))
	if rng.Status != 206 || !bytes.Equal([]byte(rng.Body), stored[mid:mid+1000]) {
		t.Fatalf("range through node B: status %d, %d bytes", rng.Status, len(rng.Body))
	}
	if r := carol.Do("GET", msgs[0].MediaURL, nil, "Range", fmt.Sprintf("bytes=%d-", len(stored))); r.Status != 416 {
		t.Fatalf("range beyond the end through node B: status %d, want 416", r.Status)
	}
	// Alice cannot play carol's message through either node.
	alice.Must(404, "GET", msgs[0].MediaURL, nil)

	// The bucket keeps three copies, one on each NATS server.
	str, err := nodeB.Bus.JS.Stream(t.Context(), "OBJ_"+nodeB.Blobs.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	si, err := str.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if si.Config.Replicas != 3 || si.Config.Storage != jetstream.FileStorage || si.Cluster == nil || len(si.Cluster.Replicas) != 2 {
		t.Fatalf("object store: %d replicas on %v, cluster %+v; want 3 on file storage", si.Config.Replicas, si.Config.Storage, si.Cluster)
	}
}
