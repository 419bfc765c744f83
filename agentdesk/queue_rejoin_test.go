package agentdesk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	lmmedia "github.com/livemall/livemall/media"
)

// queuedOn reads the socket until the call's "queued" state, skipping
// everything else, and returns it.
func queuedOn(t *testing.T, s *apptest.Socket) lmmedia.Message {
	t.Helper()
	for i := 0; i < 50; i++ {
		m := s.Next()
		if m.Type == "call.state" && dataOf(t, m)["state"] == "queued" {
			return m
		}
	}
	t.Fatal("no queued state in 50 messages")
	return lmmedia.Message{}
}

// TestShopperWhoseSocketDropsKeepsTheirPlace: a waiting guest whose socket
// drops keeps their place (without a call) for the reconnect grace and
// gets the same entry back when they dial again; a guest who hangs up
// leaves the line at once; one who does not come back is given up after
// the grace. The returning guest is offered first.
func TestShopperWhoseSocketDropsKeepsTheirPlace(t *testing.T) {
	// The grace is three heartbeats: 3 s here.
	a := apptest.New(t, func(c *config.Config) { c.Heartbeat = time.Second })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Rae Agent")
	id := ag.AccountID()
	desk := apptest.NewPhone(t, ag, base)
	apptest.WaitFor(t, 5*time.Second, "Rae available", func() bool { return agentState(a, id) == agentdesk.AgentAvailable })
	ag.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})

	dial := fmt.Sprintf(`{"number":%q,"video":false}`, sales)
	guests := make([]*apptest.Client, 3)
	socks := make([]*apptest.Socket, 3)
	entries := make([]string, 3)
	calls := make([]string, 3)
	for i := range guests {
		guests[i] = apptest.NewClient(t, a)
		guests[i].Must(200, "POST", "/api/v1/guest", nil)
		socks[i] = guests[i].OpenSocket(base)
		socks[i].Send("call.dial", dial)
		q := queuedOn(t, socks[i])
		entries[i], calls[i] = dataOf(t, q)["entryId"].(string), apptest.CallIDOf(q)
	}
	connOf := func(entry string) string {
		var c string
		a.DB.Table("queue_entries").Where("id = ?", entry).Pluck("conn_id", &c)
		return c
	}

	// The first guest's socket drops: the place is kept, without a call.
	socks[0].Conn.Close()
	apptest.WaitFor(t, 5*time.Second, "the first place kept without a call", func() bool { return connOf(entries[0]) == "" })
	if got := entryState(a, entries[0]); got != agentdesk.EntryWaiting {
		t.Fatalf("the dropped guest's entry is %q, want waiting", got)
	}
	// They come back and dial again: the same entry, on the new call.
	back := guests[0].OpenSocket(base)
	back.Send("call.dial", dial)
	q := queuedOn(t, back)
	if got := dataOf(t, q)["entryId"]; got != entries[0] {
		t.Fatalf("the returning guest is queued as %v, want their entry %s back", got, entries[0])
	}
	if connOf(entries[0]) == "" {
		t.Fatal("the rejoined entry has no call")
	}
	newCall := apptest.CallIDOf(q)

	// The second hangs up: out of line at once, nothing kept.
	socks[1].Send("call.hangup", fmt.Sprintf(`{"callId":%q}`, calls[1]))
	apptest.WaitFor(t, 5*time.Second, "the second guest's entry abandoned", func() bool { return entryState(a, entries[1]) == agentdesk.EntryAbandoned })

	// The third drops and stays away: given up after the grace.
	socks[2].Conn.Close()
	apptest.WaitFor(t, 5*time.Second, "the third place kept", func() bool { return connOf(entries[2]) == "" })
	apptest.WaitFor(t, 10*time.Second, "the third place given up after the grace", func() bool {
		return entryState(a, entries[2]) == agentdesk.EntryAbandoned
	})
	if got := entryState(a, entries[0]); got != agentdesk.EntryWaiting {
		t.Fatalf("the rejoined entry is %q after the grace, want waiting", got)
	}

	// The agent comes back: the returning guest, first in line, rings on
	// their new call.
	ag.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	desk.Expect("call.incoming", newCall, 10*time.Second)
	var n int64
	a.DB.Table("queue_entries").Count(&n)
	if n != 3 {
		t.Fatalf("%d queue entries, want the 3 the guests made", n)
	}
}
