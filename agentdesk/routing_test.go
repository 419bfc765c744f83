package agentdesk_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	lmmedia "github.com/livemall/livemall/media"
)

// agentState reads an agent's routing state.
func agentState(a *app.App, accountID string) string {
	var s string
	a.DB.Table("agent_states").Where("account_id = ?", accountID).Pluck("state", &s)
	return s
}

// entryState reads a queue entry's state.
func entryState(a *app.App, id string) string {
	var s string
	a.DB.Table("queue_entries").Where("id = ?", id).Pluck("state", &s)
	return s
}

// dataOf decodes a message's data.
func dataOf(t *testing.T, m lmmedia.Message) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(m.Data, &d); err != nil {
		t.Fatalf("decode %s: %v", m.Type, err)
	}
	return d
}

// TestRoutingOffersTheLongestIdleAgentAndMovesOn checks the order of
// offers: the longest-idle agent first; an offer not taken moves on and
// sets the agent away; wrap-up holds an agent out until its timer ends.
func TestRoutingOffersTheLongestIdleAgentAndMovesOn(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 2 * time.Second; c.WrapUp = 3 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	productID, productName := apptest.StoreProduct(t, a, apptest.RoutingStore)
	names := []string{"Ann Agent", "Ben Agent", "Cat Agent"}
	agents := make([]*apptest.Client, 3)
	phones := make([]*apptest.Phone, 3)
	ids := make([]string, 3)
	for i, n := range names {
		agents[i] = apptest.AgentOf(t, a, apptest.RoutingStore, n)
		ids[i] = agents[i].AccountID()
		phones[i] = apptest.NewPhone(t, agents[i], base)
		id := ids[i]
		apptest.WaitFor(t, 5*time.Second, n+" available", func() bool { return agentState(a, id) == agentdesk.AgentAvailable })
	}
	// Ann has been idle longest, then Ben, then Cat.
	for i, id := range ids {
		a.DB.Table("agent_states").Where("account_id = ?", id).Update("idle_since", time.Now().UTC().Add(-time.Duration(3-i)*time.Minute))
	}

	s1 := apptest.Member(t, a, "Sam Shopper")
	p1 := apptest.NewPhone(t, s1, base)
	p1.Send("call.dial", map[string]any{"number": sales, "video": true, "context": map[string]any{"productId": productID}})
	queued := p1.Expect("call.state", `"state":"queued"`, 5*time.Second)
	entry := dataOf(t, queued)["entryId"].(string)
	callID := apptest.CallIDOf(queued)

	offer := phones[0].Expect("call.incoming", callID, 5*time.Second)
	if !strings.Contains(string(offer.Data), productName) || !strings.Contains(string(offer.Data), `"member":true`) || strings.Contains(string(offer.Data), "1990") {
		t.Fatalf("Ann's desk rings without the shopper's context (or with their birth date): %s", offer.Data)
	}
	// Ann lets it ring out: Ben is next, Ann is away.
	phones[1].Expect("call.incoming", callID, 10*time.Second)
	if got := agentState(a, ids[0]); got != agentdesk.AgentAway {
		t.Fatalf("Ann let it ring out and is %q, want away", got)
	}
	phones[1].Send("call.answer", map[string]any{"callId": callID})
	p1.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "Ben on call", func() bool { return agentState(a, ids[1]) == agentdesk.AgentOnCall })
	if got := entryState(a, entry); got != agentdesk.EntryConnected {
		t.Fatalf("entry is %q after the answer, want connected", got)
	}

	// Ben hangs up: he wraps up and the entry is served.
	phones[1].Send("call.hangup", map[string]any{"callId": callID})
	apptest.WaitFor(t, 5*time.Second, "Ben wrapping up", func() bool { return agentState(a, ids[1]) == agentdesk.AgentWrapUp })
	apptest.WaitFor(t, 5*time.Second, "entry served", func() bool { return entryState(a, entry) == agentdesk.EntryServed })

	// Cat goes away: Ben in wrap-up is the only one who could take the next
	// shopper, and is not offered it until his wrap-up ends.
	agents[2].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	s2 := apptest.Member(t, a, "Sue Shopper")
	p2 := apptest.NewPhone(t, s2, base)
	p2.Send("call.dial", map[string]any{"number": sales, "video": true})
	q2 := p2.Expect("call.state", `"state":"queued"`, 5*time.Second)
	entry2 := dataOf(t, q2)["entryId"].(string)
	time.Sleep(time.Second)
	if st, es := agentState(a, ids[1]), entryState(a, entry2); st != agentdesk.AgentWrapUp || es != agentdesk.EntryWaiting {
		t.Fatalf("during wrap-up Ben is %q and the shopper %q; want wrap_up and waiting", st, es)
	}
	phones[1].Expect("call.incoming", apptest.CallIDOf(q2), 10*time.Second)
	if got := entryState(a, entry2); got != agentdesk.EntryOffered {
		t.Fatalf("after Ben's wrap-up the shopper is %q, want offered", got)
	}

	// Ben's outcome is stored with the engagement; another store's agent
	// cannot see it.
	agents[1].Must(200, "POST", "/api/v1/desk/wrapups/"+entry, map[string]any{"outcome": "sold", "note": "bought boots"})
	var eng struct{ Outcome, Note string }
	agents[1].Must(200, "GET", "/api/v1/desk/engagements/"+entry, nil).JSON(t, &eng)
	if eng.Outcome != "sold" || eng.Note != "bought boots" {
		t.Fatalf("engagement after wrap-up: %+v", eng)
	}
	other := apptest.AgentOf(t, a, "lumen-electronics", "Oz Other")
	other.Must(404, "GET", "/api/v1/desk/engagements/"+entry, nil)
	agents[0].Must(404, "POST", "/api/v1/desk/wrapups/"+entry, map[string]any{"outcome": "sold"})
}

// TestWrapUpAndAgentStateRequestsRefuseBadInput checks the desk's bodies.
func TestWrapUpAndAgentStateRequestsRefuseBadInput(t *testing.T) {
	a := apptest.New(t)
	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Val Agent")
	for _, tt := range []struct{ method, path, body, want string }{
		{"PUT", "/api/v1/desk/agent/state", `{}`, "state"},
		{"PUT", "/api/v1/desk/agent/state", `{"state":"ringing"}`, "available or away"},
		{"PUT", "/api/v1/desk/agent/state", `{"state":"away","x":1}`, "unknown field"},
		{"POST", "/api/v1/desk/wrapups/qe_nope", `{"outcome":"maybe"}`, "outcome must be"},
		{"POST", "/api/v1/desk/wrapups/qe_nope", `{"outcome":"sold","note":"` + strings.Repeat("x", 2001) + `"}`, "keep it under"},
		{"POST", "/api/v1/desk/wrapups/qe_nope", `{"outcome":"sold"}`, "no engagement"},
	} {
		r := ag.Do(tt.method, tt.path, json.RawMessage(tt.body))
		if r.Status < 400 || !strings.Contains(string(r.Body), tt.want) {
			t.Errorf("%s %s %s: %d %s, want an error saying %q", tt.method, tt.path, tt.body, r.Status, r.Body, tt.want)
		}
	}
	m := apptest.Member(t, a, "Mo Member")
	m.Must(403, "GET", "/api/v1/desk/agent", nil)
	ag.Must(403, "GET", "/api/v1/desk/live", nil)
}

// TestNoAgentsOffersAMessageForTheStore checks the fallback: with nobody
// signed in, the shopper is offered a message, leaves one, and it arrives
// in the store's mailbox in the desk (and only that store's).
func TestNoAgentsOffersAMessageForTheStore(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	s := apptest.Member(t, a, "Nia Shopper")
	p := apptest.NewPhone(t, s, base)
	p.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, apptest.RoutingStore), "video": true})
	q := p.Expect("call.state", `"state":"queued"`, 5*time.Second)
	callID := apptest.CallIDOf(q)
	fb := p.Expect("queue.fallback", `"reason":"no_agents"`, 5*time.Second)
	if !strings.Contains(string(fb.Data), `"message"`) || !strings.Contains(string(fb.Data), `"callback"`) {
		t.Fatalf("fallback without both choices: %s", fb.Data)
	}
	p.Send("queue.choose", map[string]any{"callId": callID, "choice": "message"})
	p.Expect("call.state", `"state":"mailbox"`, 5*time.Second)
	p.Expect("call.state", `"state":"recording"`, 15*time.Second)
	time.Sleep(2 * time.Second)
	p.Send("call.hangup", map[string]any{"callId": callID})
	p.Expect("call.state", `"state":"ended"`, 5*time.Second)

	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Mae Agent")
	var box struct {
		Messages []struct {
			ID, FromName, ContentType string
			DurationMs                int64
		}
		Unheard int
	}
	apptest.WaitFor(t, 10*time.Second, "the store's message", func() bool {
		ag.Must(200, "GET", "/api/v1/desk/mailbox", nil).JSON(t, &box)
		return len(box.Messages) == 1
	})
	if m := box.Messages[0]; m.FromName != "Nia Shopper" || m.ContentType != "video/webm" || m.DurationMs < 1000 || box.Unheard != 1 {
		t.Fatalf("store message: %+v unheard %d", m, box.Unheard)
	}
	msgID := box.Messages[0].ID
	if r := ag.Do("GET", "/api/v1/desk/mailbox/"+msgID+"/media", nil); r.Status != 200 || len(r.Body) < 1000 {
		t.Fatalf("media: %d, %d bytes", r.Status, len(r.Body))
	}
	other := apptest.AgentOf(t, a, "lumen-electronics", "Lee Other")
	other.Must(404, "GET", "/api/v1/desk/mailbox/"+msgID+"/media", nil)
	other.Must(404, "POST", "/api/v1/desk/mailbox/"+msgID+"/heard", nil)
	other.Must(200, "GET", "/api/v1/desk/mailbox", nil).JSON(t, &box)
	if len(box.Messages) != 0 {
		t.Fatalf("another store's desk sees %d messages", len(box.Messages))
	}
	ag.Must(204, "POST", "/api/v1/desk/mailbox/"+msgID+"/heard", nil)
}

// TestCallbackRingsTheMembersNumberWhenAnAgentFreesUp checks the other
// fallback: the member asks for a call back, keeps their place, and their
// number rings when an agent signs in and calls back.
func TestCallbackRingsTheMembersNumberWhenAnAgentFreesUp(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	s := apptest.Member(t, a, "Cal Shopper")
	p := apptest.NewPhone(t, s, base)
	p.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, apptest.RoutingStore), "video": false})
	q := p.Expect("call.state", `"state":"queued"`, 5*time.Second)
	entry := dataOf(t, q)["entryId"].(string)
	p.Expect("queue.fallback", `"reason":"no_agents"`, 5*time.Second)
	p.Send("queue.choose", map[string]any{"callId": apptest.CallIDOf(q), "choice": "callback"})
	p.Expect("call.state", `"state":"callback"`, 5*time.Second)
	p.Expect("call.state", `"state":"ended"`, 5*time.Second)
	if got := entryState(a, entry); got != agentdesk.EntryCallback {
		t.Fatalf("entry is %q, want callback", got)
	}

	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Kit Agent")
	pa := apptest.NewPhone(t, ag, base)
	cb := pa.Expect("queue.callback", entry, 10*time.Second)
	if !strings.Contains(string(cb.Data), "Cal Shopper") {
		t.Fatalf("call back card: %s", cb.Data)
	}
	pa.Send("call.dial", map[string]any{"callback": entry, "video": false})
	in := p.Expect("call.incoming", "", 10*time.Second)
	p.Send("call.answer", map[string]any{"callId": apptest.CallIDOf(in)})
	pa.Expect("call.state", `"state":"active"`, 5*time.Second)
	pa.Send("call.hangup", map[string]any{"callId": apptest.CallIDOf(in)})
	apptest.WaitFor(t, 5*time.Second, "served after the call back", func() bool { return entryState(a, entry) == agentdesk.EntryServed })
	// A call back that is not yours is refused.
	pa.Send("call.dial", map[string]any{"callback": entry, "video": false})
	pa.Expect("error", "no call back", 5*time.Second)
}

// TestGuestsMayOnlyCallStores checks what a guest's socket may do.
func TestGuestsMayOnlyCallStores(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	g := apptest.NewClient(t, a)
	g.Must(200, "POST", "/api/v1/guest", nil)
	if g.Cookies["lm_guest"] == "" {
		t.Fatal("POST /guest set no guest cookie")
	}
	s := g.OpenSocket(base)
	m := apptest.Member(t, a, "Gil Member")
	s.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false}`, m.MyNumber()))
	if got := s.Next(); got.Type != "error" || !strings.Contains(string(got.Data), "sign in") {
		t.Fatalf("a guest dialing a member got %s %s", got.Type, got.Data)
	}
	s.Send("directory.watch", "")
	if got := s.Next(); got.Type != "error" || !strings.Contains(string(got.Data), "sign in") {
		t.Fatalf("a guest watching the directory got %s %s", got.Type, got.Data)
	}
	s.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false,"context":{"productId":999999}}`, apptest.SalesNumber(t, a, apptest.RoutingStore)))
	if got := s.Next(); got.Type != "error" || !strings.Contains(string(got.Data), "not sold by") {
		t.Fatalf("a product of no store got %s %s", got.Type, got.Data)
	}
	s.Send("call.dial", fmt.Sprintf(`{"number":%q,"video":false}`, apptest.SalesNumber(t, a, apptest.RoutingStore)))
	for {
		got := s.Next()
		if got.Type == "call.state" && strings.Contains(string(got.Data), `"queued"`) {
			break
		}
		if got.Type == "error" {
			t.Fatalf("a guest calling a store got %s", got.Data)
		}
	}
}
