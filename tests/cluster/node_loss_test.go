package cluster_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	lmmedia "github.com/livemall/livemall/media"
)

// presenceTTL and heartbeat are the test cluster's: short, so a dead
// node's agents go offline within seconds.
const (
	presenceTTL = 6 * time.Second
	heartbeat   = 2 * time.Second
)

// shopper is one guest in the store's line, as the test sees them.
type shopper struct {
	c    *apptest.Client
	node int

	mu        sync.Mutex
	w         *wire
	entry     string // the queue entry the last "queued" named
	pos       int    // the last position pushed
	served    int    // "active" states seen
	fallbacks int
}

// on handles what the shopper's socket receives.
func (s *shopper) on(_ *wire, m lmmedia.Message) {
	var d struct {
		State    string `json:"state"`
		EntryID  string `json:"entryId"`
		Position int    `json:"position"`
	}
	json.Unmarshal(m.Data, &d)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case m.Type == "call.state" && d.State == "queued":
		if d.EntryID != "" {
			s.entry = d.EntryID
		}
		if d.Position > 0 {
			s.pos = d.Position
		}
	case m.Type == "call.state" && d.State == "active":
		s.served++
	case m.Type == "queue.fallback":
		s.fallbacks++
	}
}

// state returns what the shopper knows now.
func (s *shopper) state() (entry string, pos, served, fallbacks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entry, s.pos, s.served, s.fallbacks
}

// TestShopperKeepsPlaceWhenTheirNodeDies queues 20 guest shoppers across
// three nodes (eight on node-1, seven on node-2, five on node-3) while the
// store's three agents are away, then kills node-3 with SIGKILL. The five
// reconnect through the balancer, dial the store again and get their own
// queue entry back at the same position or better; node-3's agent goes
// offline within the presence TTL; then the two live agents come back and
// every shopper is served exactly once, no agent ever on two calls at once.
func TestShopperKeepsPlaceWhenTheirNodeDies(t *testing.T) {
	cl := startCluster(t, fmt.Sprintf("--presence-ttl %s --heartbeat-interval %s --wrap-up 0s --agent-ring-timeout 20s", presenceTTL, heartbeat))
	const store = apptest.RoutingStore
	if _, err := cl.DB.Exec("UPDATE stores SET max_wait_seconds = 3600"); err != nil {
		t.Fatal(err)
	}
	var sales string
	if err := cl.DB.QueryRow(`SELECT n.number FROM numbers n JOIN stores s ON s.id = n.store_id WHERE s.slug = $1 AND n.party_type = 'queue'`, store).Scan(&sales); err != nil {
		t.Fatalf("sales number of %s: %v", store, err)
	}

	// Three agents, one per node, all away: shoppers wait in line.
	var working sync.Map // agent index -> true once they take calls
	agents := make([]*apptest.Client, 3)
	for i := range agents {
		base := cl.NodeBase(i + 1)
		a := cl.AddAgent(store, fmt.Sprintf("Cluster Agent %d", i+1), base)
		agents[i] = a
		idx := i
		w := dialWire(a, base, 30*time.Second, func(w *wire, m lmmedia.Message) {
			if _, ok := working.Load(idx); !ok {
				return
			}
			var d struct {
				CallID string `json:"callId"`
				State  string `json:"state"`
			}
			json.Unmarshal(m.Data, &d)
			switch {
			case m.Type == "call.incoming":
				w.Send("call.answer", fmt.Sprintf(`{"callId":%q}`, d.CallID))
			case m.Type == "call.state" && d.State == "active":
				w.Send("call.hangup", fmt.Sprintf(`{"callId":%q}`, d.CallID))
			case m.Type == "agent.state" && d.State == "away":
				// An answer that came too late sets the agent away; like a
				// person at the desk, they make themselves available again.
				go a.Do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
			}
		})
		if w == nil {
			t.Fatalf("agent %d's desk could not connect to node-%d", i+1, i+1)
		}
		t.Cleanup(w.Close)
		waitFor(t, 20*time.Second, fmt.Sprintf("agent %d online", i+1), func() bool { return agentState(t, cl, i+1) == "available" })
		a.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	}

	// Twenty shoppers, each on the node the test puts them on.
	shoppers := make([]*shopper, 20)
	for i := range shoppers {
		node := 1
		switch {
		case i >= 15:
			node = 3
		case i >= 8:
			node = 2
		}
		c := apptest.NewClient(t, nil)
		c.Remote = cl.NodeBase(node)
		c.Must(200, "POST", "/api/v1/guest", nil)
		s := &shopper{c: c, node: node}
		s.w = dialWire(c, cl.NodeBase(node), 30*time.Second, s.on)
		if s.w == nil {
			t.Fatalf("shopper %d could not connect to node-%d", i, node)
		}
		t.Cleanup(s.w.Close)
		s.w.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false}`, sales))
		shoppers[i] = s
	}
	waitFor(t, 60*time.Second, "20 shoppers in line, each told their position", func() bool {
		for _, s := range shoppers {
			if e, pos, _, _ := s.state(); e == "" || pos == 0 {
				return false
			}
		}
		return countEntries(t, cl, "state = 'waiting'") == 20
	})
	before := linePositions(t, cl)
	for i, s := range shoppers {
		if e, _, _, _ := s.state(); before[e] == 0 {
			t.Fatalf("shopper %d's entry %s is not in line: %v", i, e, before)
		}
	}

	// node-3 dies with five shoppers and one agent on it.
	killed := time.Now()
	cl.Kill(3)
	for i, s := range shoppers[15:] {
		select {
		case <-s.w.Closed:
		case <-time.After(20 * time.Second):
			t.Fatalf("shopper %d's socket to the killed node is still open", 15+i)
		}
	}

	// They reconnect through the balancer and dial the store again.
	var wg sync.WaitGroup
	for i, s := range shoppers[15:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mu.Lock()
			s.entry, s.pos = "", 0
			s.mu.Unlock()
			s.c.Remote = cl.Base
			w := dialWire(s.c, cl.Base, 30*time.Second, s.on)
			if w == nil {
				t.Errorf("shopper %d could not reconnect through the balancer", 15+i)
				return
			}
			s.w = w
			w.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false}`, sales))
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, s := range shoppers[15:] {
		t.Cleanup(s.w.Close)
		waitFor(t, 30*time.Second, fmt.Sprintf("reconnected shopper %d told their place", 15+i), func() bool {
			e, pos, _, _ := s.state()
			return e != "" && pos > 0
		})
	}
	for i, s := range shoppers {
		e, pos, _, _ := s.state()
		if _, kept := before[e]; !kept {
			t.Fatalf("shopper %d (node-%d) is in line as %s, a new entry: their place was lost", i, s.node, e)
		}
		if i >= 15 && pos > before[e] {
			t.Fatalf("shopper %d came back at position %d, was %d", i, pos, before[e])
		}
	}
	if n := countEntries(t, cl, "true"); n != 20 {
		t.Fatalf("%d queue entries after the reconnects, want the same 20", n)
	}
	if n := countEntries(t, cl, "state = 'waiting' AND node = 'node-3'"); n != 0 {
		t.Fatalf("%d entries still wait on the dead node", n)
	}

	// node-3's agent goes offline within the presence TTL (and the sweep's
	// tick); the test measures from the SIGKILL.
	waitFor(t, presenceTTL+3*time.Second, "node-3's agent offline", func() bool { return agentState(t, cl, 3) == "offline" })
	t.Logf("node-3's agent offline %v after SIGKILL (presence TTL %v)", time.Since(killed).Round(100*time.Millisecond), presenceTTL)

	// The live agents take calls: everyone is served, once.
	for i := range 2 {
		working.Store(i, true)
		agents[i].Remote = cl.NodeBase(i + 1)
		agents[i].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	}
	waitFor(t, 3*time.Minute, "every shopper served", func() bool {
		for _, s := range shoppers {
			if _, _, served, _ := s.state(); served == 0 {
				return false
			}
		}
		return countEntries(t, cl, "state = 'served'") == 20
	})
	for i, s := range shoppers {
		if _, _, served, fallbacks := s.state(); served != 1 || fallbacks != 0 {
			t.Fatalf("shopper %d was served %d times and offered the fallback %d times", i, served, fallbacks)
		}
	}
	noAgentDoubleBooked(t, cl)
	if n := countEntries(t, cl, "agent_account_id IN (SELECT a.id FROM accounts a WHERE a.email LIKE 'cluster.agent.3@%')"); n != 0 {
		t.Fatalf("node-3's agent served %d shoppers after their node died", n)
	}
}

// agentState is the routing state of "Cluster Agent n".
func agentState(t *testing.T, cl *cluster, n int) string {
	t.Helper()
	var state string
	err := cl.DB.QueryRow(`SELECT s.state FROM agent_states s JOIN accounts a ON a.id = s.account_id WHERE a.email LIKE $1`,
		fmt.Sprintf("cluster.agent.%d@%%", n)).Scan(&state)
	if err != nil {
		return "" // not there yet
	}
	return state
}

// countEntries counts the queue entries matching the SQL condition.
func countEntries(t *testing.T, cl *cluster, where string) int {
	t.Helper()
	var n int
	if err := cl.DB.QueryRow("SELECT COUNT(*) FROM queue_entries WHERE " + where).Scan(&n); err != nil {
		t.Fatalf("count entries where %s: %v", where, err)
	}
	return n
}

// linePositions maps each entry in line to its position (1 is next).
func linePositions(t *testing.T, cl *cluster) map[string]int {
	t.Helper()
	rows, err := cl.DB.Query(`SELECT id FROM queue_entries WHERE state IN ('waiting', 'offered', 'callback') ORDER BY entered_at, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		out[id] = len(out) + 1
	}
	return out
}

// noAgentDoubleBooked fails the test if any agent's calls overlap.
func noAgentDoubleBooked(t *testing.T, cl *cluster) {
	t.Helper()
	rows, err := cl.DB.Query(`SELECT agent_account_id, answered_at, ended_at FROM queue_entries WHERE answered_at IS NOT NULL ORDER BY agent_account_id, answered_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prevAgent string
	var prevEnd time.Time
	calls := 0
	for rows.Next() {
		var agent string
		var answered, ended time.Time
		if err := rows.Scan(&agent, &answered, &ended); err != nil {
			t.Fatal(err)
		}
		if agent == prevAgent && answered.Before(prevEnd) {
			t.Fatalf("agent %s answered a call at %v while on another until %v", agent, answered, prevEnd)
		}
		prevAgent, prevEnd = agent, ended
		calls++
	}
	if calls != 20 {
		t.Fatalf("%d answered calls, want 20", calls)
	}
}
