package agentdesk_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	lmmedia "github.com/livemall/livemall/media"
)

// supervisorOf adds a supervisor with the name to the store and signs
// them in on their own device.
func supervisorOf(t *testing.T, a *app.App, store, name string) *apptest.Client {
	t.Helper()
	c := apptest.NewClient(t, a)
	added, err := a.Staff.AddStaffMember(t.Context(), agentdesk.NewStaffMember{StoreSlug: store, Name: name, Supervisor: true,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + ".sup@" + store + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Enroll(added.EnrollmentToken); r.Status != 200 {
		t.Fatalf("enroll %s: %d %s", name, r.Status, r.Body)
	}
	return c
}

// supervisions counts the steps recorded on the engagement.
func supervisions(a *app.App, entry string) int64 {
	var n int64
	a.DB.Table("engagement_supervisions").Where("entry_id = ?", entry).Count(&n)
	return n
}

// supervise asks for a step into the call of entry through the desk
// connection connID.
func supervise(c *apptest.Client, entry, mode, connID string) apptest.Response {
	return c.Do("POST", "/api/v1/desk/calls/"+entry+"/supervise", map[string]any{"mode": mode, "connId": connID})
}

// pageShowing is an rrweb full snapshot of a page showing text.
func pageShowing(text string) string {
	return `{"type":2,"timestamp":1700000000000,"data":{"initialOffset":{"left":0,"top":0},"node":{"type":0,"id":1,"childNodes":[` +
		`{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[` +
		`{"type":3,"id":4,"textContent":"` + text + `"}]}]}]}}}`
}

// resendUntil calls send every 200 ms until p receives a message of the
// type whose data holds want, failing after 10 s.
func resendUntil(t *testing.T, p *apptest.Phone, typ, want string, send func()) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	send()
	for {
		select {
		case m, ok := <-p.Msgs:
			if !ok {
				t.Fatalf("socket closed while waiting for %s %s", typ, want)
			}
			if m.Type == typ && strings.Contains(string(m.Data), want) {
				return
			}
		case <-tick.C:
			send()
		case <-deadline:
			t.Fatalf("no %s with %q within 10s", typ, want)
		}
	}
}

// notNamed fails unless the phone's roster leaves the name out.
func notNamed(t *testing.T, p *apptest.Phone, who, name string) {
	t.Helper()
	if r := p.Roster(); r != nil && slices.ContainsFunc(r.Members, func(m lmmedia.RosterMember) bool { return m.Name == name }) {
		t.Fatalf("%s's roster names %s: %+v", who, name, r.Members)
	}
}

// TestOnlyTheStoresSupervisorsCanMonitor is a supervisor's monitor →
// whisper → barge in a live call, with the media checked at every step
// (pion phones count packets from each sender), and the refusals: an agent
// of the store, a supervisor of another store, a member, an unknown entry,
// another's connection and a call that ended are refused and record
// nothing.
func TestOnlyTheStoresSupervisorsCanMonitor(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store, sku = "vinoteca-rossi", "VR-BAROLO-18"
	shopper := apptest.ShopperBorn(t, a, "Sam Shopper", apptest.BornYearsAgo(30))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": sku, "quantity": 1})
	e := engage(t, a, base, store, sku, shopper, "Ana Agent")
	noor := supervisorOf(t, a, store, "Noor Haddad")
	np := apptest.NewPhone(t, noor, base)
	const noorName = "Noor, supervisor"

	// The live view lists the call, with the product and the cart.
	var live struct {
		Calls []struct {
			EntryID, CallID, Agent, Shopper, Supervising string
			CartMinor                                    int64
			CartItems                                    int
			Product                                      *struct{ Name string }
		}
	}
	noor.Must(200, "GET", "/api/v1/desk/live", nil).JSON(t, &live)
	if len(live.Calls) != 1 || live.Calls[0].EntryID != e.entry || live.Calls[0].CallID != e.callID || live.Calls[0].Agent != "Ana Agent" ||
		live.Calls[0].Shopper != "Sam Shopper" || live.Calls[0].CartItems != 1 || live.Calls[0].CartMinor <= 0 || live.Calls[0].Product == nil {
		t.Fatalf("live calls: %+v", live.Calls)
	}

	// Who may not, and with what.
	other := supervisorOf(t, a, "north-peak-outfitters", "Olga Other")
	op := apptest.NewPhone(t, other, base)
	colleague := apptest.AgentOf(t, a, store, "Cleo Colleague")
	cases := []struct {
		name      string
		c         *apptest.Client
		entry     string
		mode      string
		conn      string
		status    int
		code, msg string
	}{
		{"the agent of the call", e.agent, e.entry, "monitor", np.Sock.ConnID, 403, apperr.Forbidden, ""},
		{"an agent of the store", colleague, e.entry, "monitor", np.Sock.ConnID, 403, apperr.Forbidden, ""},
		{"a supervisor of another store", other, e.entry, "monitor", op.Sock.ConnID, 404, apperr.NotFound, "no call"},
		{"a member", shopper, e.entry, "monitor", e.sp.Sock.ConnID, 403, apperr.Forbidden, ""},
		{"an unknown entry", noor, "qe_000000000000000000000000", "monitor", np.Sock.ConnID, 404, apperr.NotFound, "no call"},
		{"someone else's connection", noor, e.entry, "monitor", e.ap.Sock.ConnID, 403, apperr.Forbidden, "not your desk"},
		{"another supervisor's desk", noor, e.entry, "monitor", op.Sock.ConnID, 403, apperr.Forbidden, "not your desk"},
		{"a connection that is no more", noor, e.entry, "monitor", "0123456789abcdef01", 403, apperr.Forbidden, "not your desk"},
		{"a mode that is not one", noor, e.entry, "listen", np.Sock.ConnID, 400, apperr.Invalid, "monitor, whisper or barge"},
		{"no connection", noor, e.entry, "monitor", "", 400, apperr.Invalid, ""},
		{"a connection id that is not one", noor, e.entry, "monitor", "../../x", 400, apperr.Invalid, "connId"},
	}
	for _, tc := range cases {
		apptest.Refused(t, tc.name, supervise(tc.c, tc.entry, tc.mode, tc.conn), tc.status, tc.code, tc.msg)
	}
	apptest.Refused(t, "leaving a call one is not in", noor.Do("DELETE", "/api/v1/desk/calls/"+e.entry+"/supervise", nil), 404, apperr.NotFound, "not in the call")
	if n := supervisions(a, e.entry); n != 0 {
		t.Fatalf("refusals recorded %d steps", n)
	}

	// The shopper shares their page with the agent before Noor steps in.
	e.sp.Send("cobrowse.start", map[string]any{"entryId": e.entry})
	e.ap.Expect("cobrowse.start", e.entry, 10*time.Second)
	e.sp.Send("cobrowse.events", map[string]any{"entryId": e.entry, "events": []json.RawMessage{json.RawMessage(pageShowing("Barolo 2017"))}})
	e.ap.Expect("cobrowse.events", "Barolo 2017", 10*time.Second)

	// Monitor: Noor hears and sees both; neither hears, sees nor knows of her.
	noor.Must(200, "POST", "/api/v1/desk/calls/"+e.entry+"/supervise", map[string]any{"mode": "monitor", "connId": np.Sock.ConnID})
	np.WaitRoster(10*time.Second, "the shopper and the agent", func(r *lmmedia.RoomRosterData) bool {
		return r.Role == lmmedia.RoleListener && len(r.Members) == 2 && r.Members[0].Stream != "" && r.Members[1].Stream != ""
	})
	parties := []string{}
	for _, m := range np.Roster().Members {
		parties = append(parties, m.Name)
	}
	shopperIs, agentIs := parties[0], parties[1]
	if np.Member(agentIs) == nil || np.Member(shopperIs) == nil {
		t.Fatalf("Noor's roster: %+v", np.Roster())
	}
	np.ExpectHears(15*time.Second, parties, parties)
	e.sp.ExpectHears(10*time.Second, []string{agentIs}, []string{agentIs})
	e.ap.ExpectHears(10*time.Second, []string{shopperIs}, []string{shopperIs})
	notNamed(t, e.sp, "the shopper", noorName)
	notNamed(t, e.ap, "the agent", noorName)
	// Every change of mode from here on is made on this one connection.
	noorPC := np.PeerConnection()

	// While in the call Noor sees the shopper's shared page (which starts
	// over from a snapshot for her: the shopper's page is asked for one)
	// and the board, and can draw on neither.
	// (A sharing page sends batches all the time; the relay looks its
	// watchers up once a second.)
	resendUntil(t, np, "cobrowse.events", "Barolo 2018", func() {
		e.sp.Send("cobrowse.events", map[string]any{"entryId": e.entry, "events": []json.RawMessage{json.RawMessage(pageShowing("Barolo 2018"))}})
	})
	e.sp.Expect("cobrowse.request", e.entry, 10*time.Second)
	e.ap.Send("board.draw", map[string]any{"entryId": e.entry, "kind": "text", "text": "Decanter first", "x": 0.4, "y": 0.5})
	np.Expect("board.item", "Decanter first", 10*time.Second)
	np.Send("board.draw", map[string]any{"entryId": e.entry, "kind": "text", "text": "From Noor", "x": 0.4, "y": 0.5})
	np.Expect("error", "board.draw", 10*time.Second)
	np.Send("cobrowse.point", map[string]any{"entryId": e.entry, "x": 0.5, "y": 0.5})
	np.Expect("error", "cobrowse.point", 10*time.Second)

	// Whisper, in place: the agent hears Noor, the shopper does not.
	noor.Must(200, "POST", "/api/v1/desk/calls/"+e.entry+"/supervise", map[string]any{"mode": "whisper", "connId": np.Sock.ConnID})
	e.ap.WaitRoster(10*time.Second, "Noor whispering", func(r *lmmedia.RoomRosterData) bool {
		return slices.ContainsFunc(r.Members, func(m lmmedia.RosterMember) bool {
			return m.Name == noorName && m.Role == lmmedia.RoleWhisperer && m.Stream != ""
		})
	})
	e.ap.ExpectHears(15*time.Second, []string{shopperIs, noorName}, []string{shopperIs})
	e.sp.ExpectHears(10*time.Second, []string{agentIs}, []string{agentIs})
	notNamed(t, e.sp, "the shopper", noorName)
	np.ExpectHears(10*time.Second, parties, parties)

	// Barge: a party, heard and seen by both.
	noor.Must(200, "POST", "/api/v1/desk/calls/"+e.entry+"/supervise", map[string]any{"mode": "barge", "connId": np.Sock.ConnID})
	e.sp.WaitRoster(10*time.Second, "Noor in the call", func(r *lmmedia.RoomRosterData) bool {
		return slices.ContainsFunc(r.Members, func(m lmmedia.RosterMember) bool {
			return m.Name == noorName && m.Role == lmmedia.RoleParty && m.Stream != ""
		})
	})
	e.ap.WaitRoster(10*time.Second, "Noor a party", func(r *lmmedia.RoomRosterData) bool {
		return slices.ContainsFunc(r.Members, func(m lmmedia.RosterMember) bool {
			return m.Name == noorName && m.Role == lmmedia.RoleParty && m.Stream != ""
		})
	})
	e.sp.ExpectHears(15*time.Second, []string{agentIs, noorName}, []string{agentIs, noorName})
	e.ap.ExpectHears(15*time.Second, []string{shopperIs, noorName}, []string{shopperIs, noorName})

	// Each step is on the engagement, and in the live view.
	var view struct {
		Supervisions []struct{ Supervisor, Mode string }
	}
	noor.Must(200, "GET", "/api/v1/desk/engagements/"+e.entry, nil).JSON(t, &view)
	var steps []string
	for _, s := range view.Supervisions {
		steps = append(steps, s.Supervisor+" "+s.Mode)
	}
	if got, want := strings.Join(steps, ", "), "Noor Haddad monitor, Noor Haddad whisper, Noor Haddad barge"; got != want {
		t.Fatalf("steps on the engagement: %s, want %s", got, want)
	}
	noor.Must(200, "GET", "/api/v1/desk/live", nil).JSON(t, &live)
	if len(live.Calls) != 1 || live.Calls[0].Supervising != "barge" {
		t.Fatalf("live calls while barged in: %+v", live.Calls)
	}

	if np.PeerConnection() != noorPC {
		t.Fatal("Noor's media connection was replaced on a change of mode")
	}

	// Out again: the call goes on between the shopper and the agent.
	noor.Must(204, "DELETE", "/api/v1/desk/calls/"+e.entry+"/supervise", nil)
	e.sp.WaitRoster(10*time.Second, "Noor gone", func(r *lmmedia.RoomRosterData) bool {
		return !slices.ContainsFunc(r.Members, func(m lmmedia.RosterMember) bool { return m.Name == noorName })
	})
	e.sp.ExpectHears(10*time.Second, []string{agentIs}, []string{agentIs})
	if n := supervisions(a, e.entry); n != 4 {
		t.Fatalf("%d steps recorded, want 4 (monitor, whisper, barge, stop)", n)
	}
	// The agent reads the steps they knew of: never the monitoring.
	var agentView struct {
		Supervisions []struct{ Supervisor, Mode string }
	}
	e.agent.Must(200, "GET", "/api/v1/desk/engagements/"+e.entry, nil).JSON(t, &agentView)
	steps = steps[:0]
	for _, s := range agentView.Supervisions {
		steps = append(steps, s.Mode)
	}
	if got := strings.Join(steps, ", "); got != "whisper, barge, stop" {
		t.Fatalf("the agent reads the steps %s, want whisper, barge, stop", got)
	}

	// How often: a supervisor's steps are bounded (the refusals above that
	// reached the call count too); the bound records nothing.
	var limited apptest.Response
	for i := 0; i < agentdesk.SuperviseLimit.Max && limited.Status != 429; i++ {
		limited = supervise(noor, e.entry, "monitor", "0123456789abcdef01")
	}
	apptest.Refused(t, "too many steps", limited, 429, apperr.RateLimited, "too many steps")
	if n := supervisions(a, e.entry); n != 4 {
		t.Fatalf("%d steps recorded after the bound, want 4", n)
	}

	// A call that ended cannot be joined; nothing more is recorded.
	e.sp.Send("call.hangup", map[string]any{"callId": e.callID})
	apptest.WaitFor(t, 10*time.Second, "served", func() bool { return entryState(a, e.entry) == "served" })
	apptest.Refused(t, "a call that ended", supervise(noor, e.entry, "monitor", np.Sock.ConnID), 409, apperr.Conflict, "not live")
	if n := supervisions(a, e.entry); n != 4 {
		t.Fatalf("%d steps recorded after the refusal, want 4", n)
	}
}

// TestSuperviseModesParse is the table of modes from outside input.
func TestSuperviseModesParse(t *testing.T) {
	for _, ok := range []string{"monitor", "whisper", "barge"} {
		if m, err := agentdesk.ParseSuperviseMode(ok); err != nil || m != ok {
			t.Errorf("ParseSuperviseMode(%q) = %q, %v", ok, m, err)
		}
	}
	for _, bad := range []string{"", "Monitor", "listen", "party", "barge ", " whisper", "stop", strings.Repeat("x", 100), "monitor\x00"} {
		if _, err := agentdesk.ParseSuperviseMode(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseSuperviseMode(%q): %v, want invalid", bad, err)
		}
	}
}

// FuzzParseSuperviseMode: any input is one of the three modes or Invalid,
// with a message that stays short and valid UTF-8.
func FuzzParseSuperviseMode(f *testing.F) {
	for _, s := range []string{"monitor", "whisper", "barge", "", "stop", "\xff\xfe", strings.Repeat("é", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := agentdesk.ParseSuperviseMode(s)
		if err == nil {
			if m != s || (m != "monitor" && m != "whisper" && m != "barge") {
				t.Fatalf("ParseSuperviseMode(%q) = %q", s, m)
			}
			return
		}
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("ParseSuperviseMode(%q): %v", s, err)
		}
		if msg := apperr.Message(err); len(msg) > 200 || !utf8.ValidString(msg) {
			t.Fatalf("message of %d bytes: %s", len(msg), fmt.Sprintf("%.80s", msg))
		}
	})
}
