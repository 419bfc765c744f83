package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestFirstAgentHangsUpWhileTheTransferRings hangs up the first agent of
// a warm transfer while the colleague still rings, twice. Nobody answers
// Ana's transfer to Maria: the shopper, never dropped, goes to the front
// of the store's line with a note, and Sam, offered them with the note,
// talks to them. Sam's transfer to Ana is answered: Ana has the shopper at
// once (as a cold transfer gives them), media both ways, Sam hears
// nothing more.
func TestFirstAgentHangsUpWhileTheTransferRings(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 3 * time.Second; c.WrapUp = time.Second })
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Kim Shopper", apptest.BornYearsAgo(30))
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ana Agent")
	path := "/api/v1/desk/engagements/" + e.entry
	maria, mp := deskOnline(t, a, base, store, "Maria Agent")
	// Sam is away while Ana's transfer rings, so the line cannot hand
	// the shopper to him before the transfer has lapsed.
	sam, samp := deskOnline(t, a, base, store, "Sam Agent")
	sam.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})

	var first struct{ Transfer struct{ ID string } }
	e.agent.Must(201, "POST", path+"/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm", "reason": "wants a sommelier"}).JSON(t, &first)
	mp.Expect("call.incoming", e.callID, 5*time.Second)
	e.ap.Send("call.hangup", map[string]any{"callId": e.callID})
	e.ap.Expect("call.state", `"state":"ended"`, 5*time.Second)
	e.sp.Expect("call.transfer", `handed you on`, 5*time.Second)
	sa, sv := quiet(t, "the shopper on hold", e.sp)
	// Maria rings out: the shopper waits at the front of the line.
	note := e.sp.Expect("call.transfer", `"state":"queued"`, 10*time.Second)
	if !strings.Contains(string(note.Data), "Maria Agent did not answer after Ana Agent left") {
		t.Fatalf("the shopper's note: %s", note.Data)
	}
	e.sp.Expect("call.state", `"state":"queued"`, 5*time.Second)
	stillQuiet(t, "the shopper waiting in line", e.sp, sa, sv)
	if s := entryState(a, e.entry); s != "waiting" {
		t.Fatalf("the engagement is %s, want waiting in line", s)
	}
	if s := agentState(a, e.agent.AccountID()); s != "wrap_up" && s != "available" {
		t.Fatalf("Ana after leaving is %s", s)
	}
	var states []string
	a.DB.Table("engagement_transfers").Where("entry_id = ?", e.entry).Order("created_at, id").Pluck("state", &states)
	if strings.Join(states, ",") != "no_answer,queued" {
		t.Fatalf("the engagement's transfers are %v, want the one that rang out and the move to the line", states)
	}

	// Sam is offered the shopper with the note and talks to them.
	sam.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	ring := samp.Expect("call.incoming", e.callID, 10*time.Second)
	if !strings.Contains(string(ring.Data), "did not answer after Ana Agent left") || !strings.Contains(string(ring.Data), e.entry) {
		t.Fatalf("Sam's ring card: %s", ring.Data)
	}
	samp.Send("call.answer", map[string]any{"callId": e.callID})
	e.sp.Expect("call.state", `Sam Agent`, 10*time.Second)
	mediaGrows(t, "Sam and the shopper hear each other", e.sp, samp)

	// Sam transfers warm to Ana and hangs up while she rings; Ana answers
	// and has the shopper.
	apptest.WaitFor(t, 10*time.Second, "Ana available again", func() bool { return agentState(a, e.agent.AccountID()) == "available" })
	var second struct{ Transfer struct{ ID string } }
	sam.Must(201, "POST", path+"/transfer", map[string]any{"agentId": e.agent.AccountID(), "mode": "warm"}).JSON(t, &second)
	e.ap.Expect("call.incoming", e.callID, 5*time.Second)
	samp.Send("call.hangup", map[string]any{"callId": e.callID})
	samp.Expect("call.state", `"state":"ended"`, 5*time.Second)
	e.ap.Send("call.answer", map[string]any{"callId": e.callID})
	e.sp.Expect("call.transfer", `"state":"connected"`, 5*time.Second)
	e.sp.Expect("call.state", `Ana Agent`, 5*time.Second)
	xa, xv := quiet(t, "Sam after leaving", samp)
	mediaGrows(t, "Ana and the shopper hear each other", e.sp, e.ap)
	stillQuiet(t, "Sam after leaving", samp, xa, xv)
	var state, agent string
	a.DB.Table("engagement_transfers").Where("id = ?", second.Transfer.ID).Pluck("state", &state)
	a.DB.Table("queue_entries").Where("id = ?", e.entry).Pluck("agent_account_id", &agent)
	if state != "completed" || agent != e.agent.AccountID() || entryState(a, e.entry) != "connected" {
		t.Fatalf("after Ana answered: transfer %s, entry %s with %s", state, entryState(a, e.entry), agent)
	}
	if s := agentState(a, sam.AccountID()); s != "wrap_up" && s != "available" {
		t.Fatalf("Sam after the transfer is %s", s)
	}
	var callee string
	a.DB.Table("calls").Where("id = ?", e.callID).Pluck("callee_account_id", &callee)
	if callee != e.agent.AccountID() {
		t.Fatalf("the call's callee is %q, want Ana", callee)
	}
}
