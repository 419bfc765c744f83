package media

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

func TestSendQueueKeepsOrderAndDropsASlowConnection(t *testing.T) {
	c := newConn("c1", "acc", "dev")
	for i := range sendQueue {
		if !c.Send(Message{Type: fmt.Sprint(i)}) {
			t.Fatalf("message %d refused below the queue's %d", i, sendQueue)
		}
	}
	if c.Send(Message{Type: "one too many"}) {
		t.Fatal("a full queue took one more message")
	}
	if c.ctx.Err() == nil {
		t.Fatal("a connection that cannot keep up was not closed")
	}
	got := c.takeQueued()
	if len(got) != sendQueue || got[0].Type != "0" || got[sendQueue-1].Type != fmt.Sprint(sendQueue-1) || got[0].V != ProtocolVersion {
		t.Fatalf("queued %d messages, first %+v", len(got), got[0])
	}
	if c.queued != nil {
		t.Fatal("an emptied queue still holds its memory")
	}
	if c.Send(Message{Type: "late"}) {
		t.Fatal("a closed connection took a message")
	}
}

func TestRelayDeliversToEverySocketOfADeviceOnOneSubscription(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := &relay{bus: nc}

	before := runtime.NumGoroutine()
	tabs := make([]*Conn, 50)
	stops := make([]func(), len(tabs))
	for i := range tabs {
		tabs[i] = newConn(r.newConnID(), "acc", "tablet")
		if stops[i], err = r.listen(tabs[i], connSubject(tabs[i].ID), deviceSubject("tablet")); err != nil {
			t.Fatal(err)
		}
	}
	if n := nc.NumSubscriptions(); n != 2 {
		t.Fatalf("%d sockets of one device hold %d NATS subscriptions, want one for the node's connections and one for the device", len(tabs), n)
	}
	if extra := runtime.NumGoroutine() - before; extra > 1 {
		t.Fatalf("%d sockets started %d goroutines for NATS, want only the relay's one", len(tabs), extra)
	}

	publish := func(subject, typ string) {
		raw, _ := json.Marshal(Message{Type: typ, V: ProtocolVersion})
		if err := nc.Publish(subject, raw); err != nil {
			t.Fatal(err)
		}
	}
	publish(deviceSubject("tablet"), "call.incoming")
	publish(connSubject(tabs[7].ID), "only.seven")
	publish(deviceSubject("another"), "not.here")
	nc.Flush()
	want := func(c *Conn, types ...string) {
		t.Helper()
		var got []string
		deadline := time.Now().Add(5 * time.Second)
		for len(got) < len(types) && time.Now().Before(deadline) {
			for _, m := range c.takeQueued() {
				got = append(got, m.Type)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // what must not arrive would have by now
		for _, m := range c.takeQueued() {
			got = append(got, m.Type)
		}
		if fmt.Sprint(got) != fmt.Sprint(types) {
			t.Fatalf("%s received %v, want %v", c.ID, got, types)
		}
	}
	want(tabs[7], "call.incoming", "only.seven")
	want(tabs[8], "call.incoming")

	for i, stop := range stops {
		stop()
		tabs[i].takeQueued()
	}
	if n := nc.NumSubscriptions(); n != 0 {
		t.Fatalf("%d NATS subscriptions left after every socket closed", n)
	}
	publish(deviceSubject("tablet"), "after.close")
	nc.Flush()
	want(tabs[0])
}

// TestTheHelloGoesFirst: messages queued for a connection before its
// writer starts (the bus delivered them while it opened) go out after the
// hello, in their order.
func TestTheHelloGoesFirst(t *testing.T) {
	c := newConn("c1", "acc", "dev")
	c.SendData("queue.changed", map[string]int{"waiting": 0})
	c.SendData("presence", map[string]string{"state": "online"})
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	c.startWriting(Message{Type: "hello"}, func(m Message) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m.Type)
		if len(got) == 3 {
			close(done)
		}
		return nil
	})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the queued messages were not written")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"hello", "queue.changed", "presence"}; !slices.Equal(got, want) {
		t.Fatalf("written in the order %v, want %v", got, want)
	}
}
