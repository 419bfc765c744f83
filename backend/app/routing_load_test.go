package app_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/limits"
	lmmedia "github.com/livemall/livemall/media"
)

// wire is a bare signaling socket for load: it reads in its own goroutine
// and hands every message to on (no WebRTC: the server's side of each
// call still opens, which is what routing needs).
type wire struct {
	Conn *websocket.Conn
	mu   sync.Mutex
}

func openWire(t *testing.T, c *apptest.Client, base string, on func(w *wire, m lmmedia.Message)) *wire {
	t.Helper()
	s := c.OpenSocket(base)
	s.Conn.SetReadDeadline(time.Time{}) // OpenSocket's hello read set one
	w := &wire{Conn: s.Conn}
	stop := make(chan struct{})
	go func() {
		// Heartbeats keep presence (and the server's read deadline) alive.
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Second):
				w.Send("heartbeat", "null")
			}
		}
	}()
	go func() {
		defer close(stop)
		for {
			var m lmmedia.Message
			if err := w.Conn.ReadJSON(&m); err != nil {
				return
			}
			on(w, m)
		}
	}()
	return w
}

func (w *wire) Send(typ, data string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	msg := `{"type":"` + typ + `","v":1}`
	if data != "null" {
		msg = `{"type":"` + typ + `","v":1,"data":` + data + `}`
	}
	w.Conn.WriteMessage(websocket.TextMessage, []byte(msg))
}

// TestHundredShoppersFiveAgentsOverTwoNodes runs 100 guest shoppers and 5
// agents over two nodes on one database and one NATS: no agent is given
// two shoppers at once, no shopper is lost or served twice, and every
// shopper is served (the store's maximum wait is long enough that no one
// needs the fallback).
func TestHundredShoppersFiveAgentsOverTwoNodes(t *testing.T) {
	quick := func(c *config.Config) {
		c.AgentRingTimeout = 20 * time.Second
		c.WrapUp = time.Millisecond
		// Routing under load is the point here, not the abuse limits (their
		// test is TestAbuseLimitsHoldAcrossNodes): a hundred shoppers come
		// from the test's one address, and each socket's lease refresh adds
		// JetStream writes that, under -race on two cores, slow the NATS the
		// two nodes' routing depends on. The load benchmarks run without
		// limits too.
		c.Limits = limits.Off()
	}
	na, nb := twoNodes(t, quick)
	baseA, baseB := apptest.ServeOnLoopback(t, na), apptest.ServeOnLoopback(t, nb)
	na.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, na, apptest.RoutingStore)

	var offers, lapsed atomic.Int64
	for i := 0; i < 5; i++ {
		node, base := na, baseA
		if i >= 3 {
			node, base = nb, baseB
		}
		ag := apptest.AgentOf(t, node, apptest.RoutingStore, fmt.Sprintf("Load Agent %d", i))
		var agMu sync.Mutex
		name := fmt.Sprint("agent", i)
		openWire(t, ag, base, func(w *wire, m lmmedia.Message) {
			if os.Getenv("LOAD_DEBUG") == "agents" && m.Type != "queue.changed" && m.Type != "rtc.candidate" {
				fmt.Println(time.Now().Format("15:04:05.000"), name, m.Type, string(m.Data[:min(len(m.Data), 160)]))
			}
			switch {
			case m.Type == "call.incoming":
				offers.Add(1)
				w.Send("call.answer", fmt.Sprintf(`{"callId":%q}`, apptest.CallIDOf(m)))
			case m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"active"`):
				w.Send("call.hangup", fmt.Sprintf(`{"callId":%q}`, apptest.CallIDOf(m)))
			case m.Type == "agent.state" && strings.Contains(string(m.Data), `"state":"away"`):
				// On a loaded machine an answer can come too late and the
				// agent is set away, as routing should; like a person at the
				// desk, the agent makes themselves available again.
				lapsed.Add(1)
				go func() {
					agMu.Lock()
					defer agMu.Unlock()
					ag.Do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
				}()
			}
		})
	}
	apptest.WaitFor(t, 10*time.Second, "five agents available", func() bool {
		var n int64
		na.DB.Table("agent_states").Where("state = ?", "available").Count(&n)
		return n == 5
	})

	shoppers := 100
	if n := os.Getenv("LOAD_SHOPPERS"); n != "" {
		shoppers, _ = strconv.Atoi(n)
	}
	var served, fallbacks, twice atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < shoppers; i++ {
		node, base := na, baseA
		if i%2 == 1 {
			node, base = nb, baseB
		}
		g := apptest.NewClient(t, node)
		g.Must(200, "POST", "/api/v1/guest", nil)
		var once atomic.Bool
		var done sync.Once
		wg.Add(1)
		w := openWire(t, g, base, func(w *wire, m lmmedia.Message) {
			if os.Getenv("LOAD_DEBUG") == "shoppers" {
				fmt.Println("shopper", g.Device, m.Type, string(m.Data))
			}
			switch {
			case m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"active"`):
				if once.Swap(true) {
					twice.Add(1)
				}
				served.Add(1)
				done.Do(wg.Done)
			case m.Type == "queue.fallback":
				fallbacks.Add(1)
				done.Do(wg.Done)
			}
		})
		w.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false}`, sales))
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	if os.Getenv("LOAD_DEBUG") != "" {
		go func() {
			for {
				select {
				case <-finished:
					return
				case <-time.After(3 * time.Second):
					var es, as []struct {
						State string
						N     int
					}
					na.DB.Table("queue_entries").Select("state, COUNT(*) AS n").Group("state").Scan(&es)
					na.DB.Table("agent_states").Select("state, COUNT(*) AS n").Group("state").Scan(&as)
					fmt.Println("progress", time.Now().Format("15:04:05"), served.Load(), offers.Load(), es, as)
				}
			}
		}()
	}
	select {
	case <-finished:
	case <-time.After(time.Duration(shoppers) * 2400 * time.Millisecond):
		var es []struct {
			State string
			N     int
		}
		na.DB.Table("queue_entries").Select("state, COUNT(*) AS n").Group("state").Scan(&es)
		var as []struct {
			State string
			N     int
		}
		na.DB.Table("agent_states").Select("state, COUNT(*) AS n").Group("state").Scan(&as)
		t.Logf("entries %v, agents %v, offers %d", es, as, offers.Load())
		t.Fatalf("after 4 minutes %d shoppers were served and %d offered the fallback, of %d", served.Load(), fallbacks.Load(), shoppers)
	}
	if twice.Load() != 0 || fallbacks.Load() != 0 || served.Load() != int64(shoppers) {
		t.Fatalf("served %d (twice: %d), fallbacks %d, of %d", served.Load(), twice.Load(), fallbacks.Load(), shoppers)
	}
	apptest.WaitFor(t, 30*time.Second, "every entry settled", func() bool {
		var open int64
		na.DB.Table("queue_entries").Where("state NOT IN ?", []string{"served", "abandoned"}).Count(&open)
		return open == 0
	})
	var entries []struct {
		ID             string
		State          string
		AgentAccountID *string
		AnsweredAt     *time.Time
		EndedAt        *time.Time
	}
	na.DB.Table("queue_entries").Select("id, state, agent_account_id, answered_at, ended_at").Order("answered_at").Scan(&entries)
	if len(entries) != shoppers {
		t.Fatalf("%d queue entries for %d shoppers", len(entries), shoppers)
	}
	busyUntil := map[string]time.Time{}
	perAgent := map[string]int{}
	for _, e := range entries {
		if e.State != "served" || e.AgentAccountID == nil || e.AnsweredAt == nil || e.EndedAt == nil {
			t.Fatalf("entry %s ended %s (agent %v, answered %v)", e.ID, e.State, e.AgentAccountID, e.AnsweredAt)
		}
		if e.AnsweredAt.Before(busyUntil[*e.AgentAccountID]) {
			t.Fatalf("agent %s was given entry %s at %v while still busy until %v", *e.AgentAccountID, e.ID, e.AnsweredAt, busyUntil[*e.AgentAccountID])
		}
		busyUntil[*e.AgentAccountID] = *e.EndedAt
		perAgent[*e.AgentAccountID]++
	}
	t.Logf("100 shoppers served by %d agents %v; %d offers made, %d lapsed", len(perAgent), perAgent, offers.Load(), lapsed.Load())
}
