package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// transferRefusal is one refused transfer request: who asks, for which
// entry, with what body, and the answer expected.
type transferRefusal struct {
	name    string
	who     *apptest.Client
	path    string
	body    any
	status  int
	code    string
	message string
}

// refuseAll sends each refused request and checks the answer.
func refuseAll(t *testing.T, cases []transferRefusal) {
	t.Helper()
	for _, c := range cases {
		apptest.Refused(t, c.name, c.who.Do("POST", c.path, c.body), c.status, c.code, c.message)
	}
}

// transfers counts an engagement's transfer rows.
func transfers(a *app.App, entryID string) int64 {
	var n int64
	a.DB.Table("engagement_transfers").Where("entry_id = ?", entryID).Count(&n)
	return n
}

// mediaGrows waits until every phone received more audio and video than
// it had when called: each of them hears someone.
func mediaGrows(t *testing.T, what string, phones ...*apptest.Phone) {
	t.Helper()
	type count struct{ a, v int64 }
	from := make([]count, len(phones))
	for i, p := range phones {
		from[i].a, from[i].v = p.Received()
	}
	apptest.WaitFor(t, 20*time.Second, what, func() bool {
		for i, p := range phones {
			a, v := p.Received()
			if a < from[i].a+25 || v < from[i].v+10 {
				return false
			}
		}
		return true
	})
}

// quiet waits until the phone stopped receiving (nothing new in half a
// second: packets already on their way have arrived) and returns what it
// received.
func quiet(t *testing.T, what string, p *apptest.Phone) (int64, int64) {
	t.Helper()
	la, lv := p.Received()
	since := time.Now()
	apptest.WaitFor(t, 10*time.Second, what, func() bool {
		a, v := p.Received()
		if a != la || v != lv {
			la, lv, since = a, v, time.Now()
			return false
		}
		return time.Since(since) >= 500*time.Millisecond
	})
	return la, lv
}

// stillQuiet fails when the phone received anything since (a, v).
func stillQuiet(t *testing.T, what string, p *apptest.Phone, a, v int64) {
	t.Helper()
	if na, nv := p.Received(); na != a || nv != v {
		t.Fatalf("%s: received %d audio and %d video packets it must not have", what, na-a, nv-v)
	}
}

// deskOnline signs in an agent of the store with a desk open and waits
// until routing counts them available.
func deskOnline(t *testing.T, a *app.App, base, store, name string) (*apptest.Client, *apptest.Phone) {
	t.Helper()
	c := apptest.AgentOf(t, a, store, name)
	p := apptest.NewPhone(t, c, base)
	id := c.AccountID()
	apptest.WaitFor(t, 5*time.Second, name+" available", func() bool { return agentState(a, id) == "available" })
	return c, p
}

// TestWarmTransferCarriesCartCobrowseAndBoard transfers a live call warm:
// the shopper (with a cart, a suggestion, a co-browse session, a board
// item, an age check and a note) is on hold while Ana talks to Maria, then
// Maria has the shopper and all of it; Ana is out. Media is counted at
// each step: the shopper hears nobody during the hold, Ana and Maria hear
// each other, then Maria and the shopper; Ana nothing after completing.
func TestWarmTransferCarriesCartCobrowseAndBoard(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 20 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Kim Shopper", apptest.BornYearsAgo(30))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ana Agent")
	path := "/api/v1/desk/engagements/" + e.entry

	// Ana builds up the engagement: a suggestion, a note, an age check on
	// live video, the shopper's page and a board item.
	shopper.Must(201, "POST", "/api/v1/checkout", "{}")
	if r := e.agent.Judge(e.entry, "confirm"); r.Status != 201 {
		t.Fatalf("age check: %d %s", r.Status, r.Body)
	}
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 2})
	e.agent.Must(201, "POST", path+"/cart/items", map[string]any{"sku": "VR-DECANT"})
	e.agent.Must(200, "POST", "/api/v1/desk/wrapups/"+e.entry, map[string]any{"outcome": "follow_up", "note": "wants a decanter for Sunday"})
	anaCart := e.agent.Must(200, "GET", path+"/cart", nil).Body
	e.sp.Send("cobrowse.start", map[string]any{"entryId": e.entry})
	e.ap.Expect("cobrowse.start", e.entry, 5*time.Second)
	e.sp.Send("board.draw", map[string]any{"entryId": e.entry, "kind": "text", "text": "Barolo 2018 + decanter", "x": 0.4, "y": 0.3})
	e.ap.Expect("board.item", "Barolo 2018", 5*time.Second)

	maria, mp := deskOnline(t, a, base, store, "Maria Agent")
	otto := apptest.AgentOf(t, a, store, "Otto Offline") // no desk open
	stranger := apptest.AgentOf(t, a, "casa-cucina", "Carla Cucina")
	warm := func(id string) map[string]any {
		return map[string]any{"agentId": id, "mode": "warm", "reason": "wants a sommelier"}
	}
	refuseAll(t, []transferRefusal{
		{"another agent's call", maria, path + "/transfer", warm(e.agent.AccountID()), 404, "not_found", "no live call"},
		{"to oneself", e.agent, path + "/transfer", warm(e.agent.AccountID()), 400, "invalid", "yourself"},
		{"to nobody", e.agent, path + "/transfer", map[string]any{"mode": "warm"}, 400, "invalid", "one of them"},
		{"to both", e.agent, path + "/transfer", map[string]any{"agentId": maria.AccountID(), "store": store, "mode": "warm"}, 400, "invalid", "one of them"},
		{"no mode", e.agent, path + "/transfer", map[string]any{"agentId": maria.AccountID()}, 400, "invalid", "warm or cold"},
		{"unknown field", e.agent, path + "/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm", "urgent": true}, 400, "invalid", "urgent"},
		{"long reason", e.agent, path + "/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm", "reason": strings.Repeat("x", 501)}, 400, "invalid", "reason"},
		{"unknown agent", e.agent, path + "/transfer", warm("acc_nobody"), 404, "not_found", "no agent"},
		{"another store's agent", e.agent, path + "/transfer", warm(stranger.AccountID()), 404, "not_found", "no agent"},
		{"offline colleague", e.agent, path + "/transfer", warm(otto.AccountID()), 409, "conflict", "offline"},
		{"unknown entry", e.agent, "/api/v1/desk/engagements/qe_nope/transfer", warm(maria.AccountID()), 404, "not_found", "no live call"},
		{"complete nothing", e.agent, "/api/v1/desk/transfers/tr_nope/complete", nil, 404, "not_found", "no transfer"},
	})
	if n := transfers(a, e.entry); n != 0 {
		t.Fatalf("refused transfers wrote %d rows", n)
	}

	var started struct{ Transfer struct{ ID, State string } }
	e.agent.Must(201, "POST", path+"/transfer", warm(maria.AccountID())).JSON(t, &started)
	e.sp.Expect("call.transfer", `"state":"connecting"`, 5*time.Second)
	ring := mp.Expect("call.incoming", e.callID, 5*time.Second)
	if !strings.Contains(string(ring.Data), "wants a sommelier") || !strings.Contains(string(ring.Data), "Ana Agent") {
		t.Fatalf("Maria's ring card does not say who transfers and why: %s", ring.Data)
	}
	refuseAll(t, []transferRefusal{
		{"a second transfer", e.agent, path + "/transfer", map[string]any{"store": store}, 409, "conflict", "transferred already"},
		{"complete before the answer", e.agent, "/api/v1/desk/transfers/" + started.Transfer.ID + "/complete", nil, 409, "conflict", "ringing"},
		{"complete someone else's", maria, "/api/v1/desk/transfers/" + started.Transfer.ID + "/complete", nil, 404, "not_found", "no transfer"},
	})

	// On hold, the shopper hears nobody while Ana and Maria talk.
	sa, sv := quiet(t, "the shopper on hold", e.sp)
	mp.Send("call.answer", map[string]any{"callId": e.callID})
	mp.Expect("call.state", `"state":"active"`, 10*time.Second)
	e.ap.Expect("call.transfer", `"state":"consulting"`, 5*time.Second)
	mediaGrows(t, "Ana and Maria hear each other", e.ap, mp)
	stillQuiet(t, "the shopper on hold", e.sp, sa, sv)
	if s := agentState(a, maria.AccountID()); s != "on_call" {
		t.Fatalf("Maria consulting is %s", s)
	}

	e.agent.Must(200, "POST", "/api/v1/desk/transfers/"+started.Transfer.ID+"/complete", nil)
	e.ap.Expect("call.state", `transferred to Maria Agent`, 5*time.Second)
	e.sp.Expect("call.transfer", `"state":"connected"`, 5*time.Second)
	e.sp.Expect("call.state", `Maria Agent`, 5*time.Second)
	aa, av := quiet(t, "Ana after completing", e.ap)
	mediaGrows(t, "Maria and the shopper hear each other", e.sp, mp)
	stillQuiet(t, "Ana after completing", e.ap, aa, av)

	// The engagement is Maria's: cart and suggestion, board, checks, note.
	if mariaCart := maria.Must(200, "GET", path+"/cart", nil).Body; mariaCart != anaCart || !strings.Contains(mariaCart, "VR-DECANT") {
		t.Fatalf("Maria's view of the cart %s, Ana's was %s", mariaCart, anaCart)
	}
	e.agent.Must(404, "GET", path+"/cart", nil)
	var board boardAnswer
	maria.Must(200, "GET", "/api/v1/boards/"+e.entry, nil).JSON(t, &board)
	if len(board.Items) != 1 || board.Items[0].Text != "Barolo 2018 + decanter" {
		t.Fatalf("Maria's board: %+v", board)
	}
	var view struct {
		Note    string
		Agent   string
		Context struct{ Facts struct{ Over18 *bool } }
	}
	maria.Must(200, "GET", path, nil).JSON(t, &view)
	if view.Note != "wants a decanter for Sunday" || view.Agent != "Maria Agent" || view.Context.Facts.Over18 == nil || !*view.Context.Facts.Over18 {
		t.Fatalf("Maria's view of the engagement: %+v", view)
	}
	var judged int64
	a.DB.Table("age_judgements").Count(&judged)
	if judged != 1 {
		t.Fatalf("%d age judgements, want Ana's one", judged)
	}
	// The co-browse session goes on to Maria: the shopper's page reaches
	// her, not Ana.
	e.sp.Send("cobrowse.start", map[string]any{"entryId": e.entry})
	mp.Expect("cobrowse.start", e.entry, 5*time.Second)
	e.sp.Send("cobrowse.events", map[string]any{"entryId": e.entry, "events": []any{map[string]any{"type": 4, "timestamp": 1700000000000, "data": map[string]any{"href": base + "/store/vinoteca-rossi", "width": 1280, "height": 800}}}})
	mp.Expect("cobrowse.events", e.entry, 5*time.Second)
	// Maria can draw on the same board.
	mp.Send("board.draw", map[string]any{"entryId": e.entry, "kind": "text", "text": "Maria here", "x": 0.5, "y": 0.5})
	e.sp.Expect("board.item", "Maria here", 5*time.Second)

	var hist struct {
		Transfers []struct{ From, To, Kind, State string }
	}
	maria.Must(200, "GET", path+"/transfers", nil).JSON(t, &hist)
	if len(hist.Transfers) != 1 || hist.Transfers[0].From != "Ana Agent" || hist.Transfers[0].To != "Maria Agent" || hist.Transfers[0].State != "completed" {
		t.Fatalf("transfer history: %+v", hist)
	}
	if s := agentState(a, e.agent.AccountID()); s != "wrap_up" {
		t.Fatalf("Ana after the transfer is %s, want wrap_up", s)
	}
	// Ana files her wrap-up of the engagement she handed on; Otto, who
	// never had it, cannot.
	e.agent.Must(200, "POST", "/api/v1/desk/wrapups/"+e.entry, map[string]any{"outcome": "follow_up", "note": "handed to Maria for the decanter"})
	otto.Must(404, "POST", "/api/v1/desk/wrapups/"+e.entry, map[string]any{"outcome": "other", "note": "x"})
	var callee string
	a.DB.Table("calls").Where("id = ?", e.callID).Pluck("callee_account_id", &callee)
	if callee != maria.AccountID() {
		t.Fatalf("the call's callee is %q, want Maria", callee)
	}

	// Maria's hang-up ends the call; she wraps up.
	mp.Send("call.hangup", map[string]any{"callId": e.callID})
	e.sp.Expect("call.state", `"state":"ended"`, 5*time.Second)
	apptest.WaitFor(t, 5*time.Second, "served", func() bool { return entryState(a, e.entry) == "served" })
	apptest.WaitFor(t, 5*time.Second, "Maria wraps up", func() bool { return agentState(a, maria.AccountID()) == "wrap_up" })
}

// TestColdTransferToAnotherStoreEntersAtTheFront sends a live call of one
// store cold to another store's line, where two shoppers already wait:
// the transferred shopper is offered first, with the reason on the ring
// card, and talks to the other store's agent.
func TestColdTransferToAnotherStoreEntersAtTheFront(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 20 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	const store, other = "vinoteca-rossi", "casa-cucina"
	// Two shoppers wait at the other store, which has no agent online yet.
	var waiting []string
	for _, name := range []string{"Wes Waiting", "Wil Waiting"} {
		s := apptest.ShopperBorn(t, a, name, apptest.BornYearsAgo(40))
		p := apptest.NewPhone(t, s, base)
		p.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, other), "video": true})
		waiting = append(waiting, dataOf(t, p.Expect("call.state", `"state":"queued"`, 5*time.Second))["entryId"].(string))
	}
	shopper := apptest.ShopperBorn(t, a, "Kim Shopper", apptest.BornYearsAgo(30))
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ana Agent")
	path := "/api/v1/desk/engagements/" + e.entry

	refuseAll(t, []transferRefusal{
		{"unknown store", e.agent, path + "/transfer", map[string]any{"store": "no-such-store", "reason": "x"}, 404, "not_found", "no store"},
		{"no reason for another store", e.agent, path + "/transfer", map[string]any{"store": other}, 400, "invalid", "say why"},
		{"warm to a line", e.agent, path + "/transfer", map[string]any{"store": other, "mode": "warm", "reason": "x"}, 400, "invalid", "cold"},
		{"not the agent's call", apptest.AgentOf(t, a, store, "Otto Agent"), path + "/transfer", map[string]any{"store": other, "reason": "x"}, 404, "not_found", "no live call"},
	})
	if n := transfers(a, e.entry); n != 0 {
		t.Fatalf("refused transfers wrote %d rows", n)
	}

	e.agent.Must(201, "POST", path+"/transfer", map[string]any{"store": other, "mode": "cold", "reason": "wants the copper pans"})
	e.ap.Expect("call.state", `"state":"ended"`, 5*time.Second)
	e.sp.Expect("call.transfer", `"state":"queued"`, 5*time.Second)
	q := e.sp.Expect("call.state", `"state":"queued"`, 5*time.Second)
	newEntry := dataOf(t, q)["entryId"].(string)
	if newEntry == e.entry || !strings.Contains(string(q.Data), other) {
		t.Fatalf("the shopper's new place: %s", q.Data)
	}
	if entryState(a, e.entry) != "served" || entryState(a, newEntry) != "waiting" {
		t.Fatalf("entries after the transfer: %s, %s", entryState(a, e.entry), entryState(a, newEntry))
	}
	// The transferred shopper stands before both who waited.
	var ahead int64
	a.DB.Table("queue_entries AS n").Joins("JOIN queue_entries w ON w.id IN ? AND w.entered_at > n.entered_at", waiting).Where("n.id = ?", newEntry).Count(&ahead)
	if ahead != 2 {
		t.Fatalf("the transferred shopper stands before %d of the 2 who waited", ahead)
	}
	carla := apptest.AgentOf(t, a, other, "Carla Cucina")
	cp := apptest.NewPhone(t, carla, base)
	// Carla is offered the transferred shopper first, with the reason.
	ring := cp.Expect("call.incoming", e.callID, 10*time.Second)
	if !strings.Contains(string(ring.Data), "wants the copper pans") || !strings.Contains(string(ring.Data), newEntry) {
		t.Fatalf("Carla's ring card: %s", ring.Data)
	}
	for _, w := range waiting {
		if s := entryState(a, w); s != "waiting" {
			t.Fatalf("a shopper who waited is %s, want still waiting", s)
		}
	}
	cp.Send("call.answer", map[string]any{"callId": e.callID})
	e.sp.Expect("call.state", `Carla Cucina`, 10*time.Second)
	mediaGrows(t, "Carla and the shopper hear each other", e.sp, cp)
	if s := agentState(a, e.agent.AccountID()); s != "wrap_up" {
		t.Fatalf("Ana after the transfer is %s", s)
	}
	var hist struct {
		Transfers []struct{ From, To, Kind, Reason string }
	}
	carla.Must(200, "GET", "/api/v1/desk/engagements/"+newEntry+"/transfers", nil).JSON(t, &hist)
	if len(hist.Transfers) != 1 || hist.Transfers[0].Kind != "queue" || hist.Transfers[0].From != "Ana Agent" || hist.Transfers[0].Reason != "wants the copper pans" {
		t.Fatalf("transfer history: %+v", hist)
	}
}

// TestTransferTargetNoAnswerReturnsToFirstAgent lets a transfer ring out:
// the shopper is back with Ana (media both ways again), Ana's desk and the
// shopper are told Maria did not answer, Maria is set away; a decline
// returns the shopper too.
func TestTransferTargetNoAnswerReturnsToFirstAgent(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 3 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Kim Shopper", apptest.BornYearsAgo(30))
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ana Agent")
	path := "/api/v1/desk/engagements/" + e.entry
	maria, mp := deskOnline(t, a, base, store, "Maria Agent")

	var started struct{ Transfer struct{ ID string } }
	e.agent.Must(201, "POST", path+"/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "cold", "reason": "Italian speaker"}).JSON(t, &started)
	mp.Expect("call.incoming", e.callID, 5*time.Second)
	sa, sv := quiet(t, "the shopper on hold", e.sp)
	stillQuiet(t, "the shopper on hold", e.sp, sa, sv)
	note := e.ap.Expect("call.transfer", `"state":"returned"`, 10*time.Second)
	if !strings.Contains(string(note.Data), "Maria Agent did not answer") {
		t.Fatalf("Ana's note: %s", note.Data)
	}
	e.sp.Expect("call.transfer", `did not answer`, 5*time.Second)
	mp.Expect("call.state", `"state":"ended"`, 5*time.Second)
	mediaGrows(t, "Ana and the shopper hear each other again", e.sp, e.ap)
	if s := agentState(a, maria.AccountID()); s != "away" {
		t.Fatalf("Maria after ringing out is %s, want away", s)
	}
	var state string
	a.DB.Table("engagement_transfers").Where("id = ?", started.Transfer.ID).Pluck("state", &state)
	if state != "no_answer" {
		t.Fatalf("the transfer is %s, want no_answer", state)
	}
	refuseAll(t, []transferRefusal{
		{"complete a lapsed transfer", e.agent, "/api/v1/desk/transfers/" + started.Transfer.ID + "/complete", nil, 409, "conflict", "no answer"},
		{"to an away colleague", e.agent, path + "/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm"}, 409, "conflict", "away"},
	})
	if n := transfers(a, e.entry); n != 1 {
		t.Fatalf("%d transfers, want the one that rang out", n)
	}

	// Maria is back and declines: the shopper returns again.
	maria.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	e.agent.Must(201, "POST", path+"/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm"})
	mp.Expect("call.incoming", e.callID, 5*time.Second)
	mp.Send("call.decline", map[string]any{"callId": e.callID})
	e.ap.Expect("call.transfer", `declined`, 5*time.Second)
	mediaGrows(t, "Ana and the shopper hear each other after the decline", e.sp, e.ap)
	apptest.WaitFor(t, 5*time.Second, "Maria available", func() bool { return agentState(a, maria.AccountID()) == "available" })
	if s := entryState(a, e.entry); s != "connected" {
		t.Fatalf("the engagement is %s, want still connected with Ana", s)
	}
}
