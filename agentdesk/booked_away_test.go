package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/config"
)

// TestBookedAgentAwayReleasesTheCallAtOnce: a booked agent who is away
// holds no booked call — it rings another free agent at once, as when the
// booked agent is offline — and one who goes away while their booked call
// is held for them (they are wrapping up) lets it go to a free agent at
// once, not after the preference window.
func TestBookedAgentAwayReleasesTheCallAtOnce(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 30 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	agents, phones, ids := agentsOnline(t, a, base, "Ann Agent", "Ben Agent", "Cat Agent", "Dan Agent")
	for _, i := range []int{2, 3} {
		agents[i].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	}

	// Ben is away (online, on the desk): Fay's call booked with him rings
	// Ann at once.
	agents[1].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	fay := apptest.Member(t, a, "Fay First")
	b1 := bookNow(t, a, sup, fay, apptest.RoutingStore, ids[1], "Fay First")
	p1 := apptest.NewPhone(t, fay, base)
	e1, c1 := queueCall(t, a, p1, sales, b1.Token)
	if got := preferredOf(a, e1); got != ids[1] {
		t.Fatalf("the booked entry prefers %q, want Ben", got)
	}
	enteredAt := time.Now()
	phones[0].Expect("call.incoming", c1, 10*time.Second)
	if waited := time.Since(enteredAt); waited > agentdesk.BookedPreference/2 {
		t.Fatalf("the call booked with an away agent waited %v for another agent", waited)
	}
	phones[0].Send("call.answer", map[string]any{"callId": c1})
	p1.Expect("call.state", `"state":"active"`, 5*time.Second)

	// Ben is wrapping up, Cat and Dan are free (Cat idle longest). Sid's
	// call booked with Ben is held for him; Olga's ordinary call behind it
	// rings Cat, who takes it.
	now := time.Now().UTC()
	a.DB.Table("agent_states").Where("account_id = ?", ids[1]).Updates(map[string]any{"state": agentdesk.AgentWrapUp, "since": now, "wrap_until": now.Add(time.Hour)})
	sid := apptest.Member(t, a, "Sid Second")
	b2 := bookNow(t, a, sup, sid, apptest.RoutingStore, ids[1], "Sid Second")
	p2 := apptest.NewPhone(t, sid, base)
	e2, c2 := queueCall(t, a, p2, sales, b2.Token)
	op := apptest.NewPhone(t, apptest.Member(t, a, "Olga Ordinary"), base)
	_, oc := queueCall(t, a, op, sales, "")
	for i, id := range ids[2:] {
		a.DB.Table("agent_states").Where("account_id = ?", id).Updates(map[string]any{"state": agentdesk.AgentAvailable, "since": now,
			"idle_since": now.Add(-time.Duration(2-i) * time.Minute)})
	}
	// A kick: route the line now. The router may have rung Cat already
	// (another wake-up came first): then she is ringing, and the desk
	// says so.
	if r := agents[2].Do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"}); r.Status != 200 && !(r.Status == 409 && strings.Contains(r.Body, "ringing")) {
		t.Fatalf("PUT /api/v1/desk/agent/state: %d %s, want 200, or 409 as she is ringing already", r.Status, r.Body)
	}
	phones[2].Expect("call.incoming", oc, 10*time.Second)
	if got := entryState(a, e2); got != agentdesk.EntryWaiting {
		t.Fatalf("the call booked with Ben (wrapping up) is %q, want waiting for him", got)
	}
	phones[2].Send("call.answer", map[string]any{"callId": oc})
	op.Expect("call.state", `"state":"active"`, 5*time.Second)

	// Ben goes away: his booked call rings Dan at once.
	agents[1].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	awayAt := time.Now()
	phones[3].Expect("call.incoming", c2, 10*time.Second)
	if waited := time.Since(awayAt); waited > agentdesk.BookedPreference/2 {
		t.Fatalf("the booked call waited %v for another agent after Ben went away", waited)
	}
	if got := entryState(a, e2); got != agentdesk.EntryOffered {
		t.Fatalf("the booked call is %q, want offered to Dan", got)
	}
}
