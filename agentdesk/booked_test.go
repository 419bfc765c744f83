package agentdesk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/config"
)

// booking is an appointment booked through the API.
type booking struct {
	Token       string `json:"token"`
	Appointment struct {
		ID string `json:"id"`
	} `json:"appointment"`
}

// bookNow has the store's supervisor open the agent's hours, books the
// first free slot for the shopper through the API, and moves the booking
// to now (it started a minute ago), so the shopper may join it at once:
// the tests' way of waiting for the slot.
func bookNow(t *testing.T, a *app.App, sup, shopper *apptest.Client, store, agentID, name string) booking {
	t.Helper()
	var hours []map[string]any
	for d := 0; d < 7; d++ {
		hours = append(hours, map[string]any{"agentId": agentID, "weekday": d, "start": "00:00", "end": "24:00"})
	}
	sup.Must(200, "PUT", "/api/v1/desk/appointment-hours", map[string]any{
		"settings": map[string]any{"slotMinutes": 30, "leadMinutes": 0, "horizonDays": 14, "noShowMinutes": 10}, "hours": hours})
	var slots struct {
		Slots []struct {
			Start time.Time `json:"start"`
		} `json:"slots"`
	}
	shopper.Must(200, "GET", "/api/v1/stores/"+store+"/appointment-slots", nil).JSON(t, &slots)
	if len(slots.Slots) == 0 {
		t.Fatalf("%s offers no slots", store)
	}
	var b booking
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	shopper.Must(201, "POST", "/api/v1/stores/"+store+"/appointments",
		map[string]any{"start": slots.Slots[0].Start.Format(time.RFC3339), "name": name, "email": email}).JSON(t, &b)
	now := time.Now().UTC()
	if err := a.DB.Exec("UPDATE appointments SET starts_at = ?, ends_at = ? WHERE id = ?", now.Add(-time.Minute), now.Add(29*time.Minute), b.Appointment.ID).Error; err != nil {
		t.Fatal(err)
	}
	return b
}

// preferredOf reads the agent a queue entry prefers ("" for none).
func preferredOf(a *app.App, entry string) string {
	var s string
	a.DB.Table("queue_entries").Where("id = ? AND preferred_agent_id IS NOT NULL", entry).Pluck("preferred_agent_id", &s)
	return s
}

// agentsOnline adds the named agents of the routing store, each on a
// phone, waits until each is available, and sets their idle order: the
// first idle longest.
func agentsOnline(t *testing.T, a *app.App, base string, names ...string) ([]*apptest.Client, []*apptest.Phone, []string) {
	t.Helper()
	clients := make([]*apptest.Client, len(names))
	phones := make([]*apptest.Phone, len(names))
	ids := make([]string, len(names))
	for i, n := range names {
		clients[i] = apptest.AgentOf(t, a, apptest.RoutingStore, n)
		ids[i] = clients[i].AccountID()
		phones[i] = apptest.NewPhone(t, clients[i], base)
		id := ids[i]
		apptest.WaitFor(t, 5*time.Second, n+" available", func() bool { return agentState(a, id) == agentdesk.AgentAvailable })
	}
	for i, id := range ids {
		a.DB.Table("agent_states").Where("account_id = ?", id).Update("idle_since", time.Now().UTC().Add(-time.Duration(len(ids)-i)*time.Minute))
	}
	return clients, phones, ids
}

// queueCall dials the routing store's sales line from the phone (with the
// appointment token, when given) and returns the entry and call ids.
func queueCall(t *testing.T, a *app.App, p *apptest.Phone, sales, token string) (entry, callID string) {
	t.Helper()
	dial := map[string]any{"number": sales, "video": true}
	if token != "" {
		dial["context"] = map[string]any{"appointment": token}
	}
	p.Send("call.dial", dial)
	q := p.Expect("call.state", `"state":"queued"`, 5*time.Second)
	entry, callID = dataOf(t, q)["entryId"].(string), apptest.CallIDOf(q)
	// The shopper hears "queued" as the call enters the line: wait for the
	// entry to be written.
	apptest.WaitFor(t, 5*time.Second, "the queue entry", func() bool { return entryState(a, entry) != "" })
	return entry, callID
}

// TestBookedCallRingsTheBookedAgent: two ordinary shoppers wait while both
// agents are away; a shopper who booked Ben joins their appointment and
// takes the front of the line. When both agents are free at once, Ann has
// been idle longest, yet the booked call rings Ben — first, before the
// shoppers who were waiting — and Ann gets the first of those. Ben's ring
// card says it is his booked appointment.
func TestBookedCallRingsTheBookedAgent(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 10 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	agents, phones, ids := agentsOnline(t, a, base, "Ann Agent", "Ben Agent")
	for _, ag := range agents {
		ag.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	}

	ordinary := make([]string, 2)
	ordinaryCalls := make([]string, 2)
	for i, n := range []string{"Olga Early", "Omar Early"} {
		p := apptest.NewPhone(t, apptest.Member(t, a, n), base)
		ordinary[i], ordinaryCalls[i] = queueCall(t, a, p, sales, "")
	}
	booker := apptest.Member(t, a, "Bea Booked")
	b := bookNow(t, a, sup, booker, apptest.RoutingStore, ids[1], "Bea Booked")
	booker.Must(200, "POST", "/api/v1/appointments/"+b.Token+"/join", nil)
	bp := apptest.NewPhone(t, booker, base)
	entry, callID := queueCall(t, a, bp, sales, b.Token)
	if got := preferredOf(a, entry); got != ids[1] {
		t.Fatalf("the booked entry prefers %q, want Ben %s", got, ids[1])
	}
	// The booked shopper is told they are first in line.
	bp.Expect("call.state", `"position":1,`, 5*time.Second)

	// Both agents free at the same moment (Ann idle longest): one sweep
	// routes the line.
	now := time.Now().UTC()
	for i, id := range ids {
		a.DB.Table("agent_states").Where("account_id = ?", id).Updates(map[string]any{"state": agentdesk.AgentAvailable, "since": now,
			"idle_since": now.Add(-time.Duration(len(ids)-i) * time.Minute)})
	}
	ring := phones[1].Expect("call.incoming", callID, 10*time.Second)
	d := string(ring.Data)
	if !strings.Contains(d, `"booking":{`) || !strings.Contains(d, `"agentId":"`+ids[1]+`"`) || !strings.Contains(d, `"agentName":"Ben Agent"`) || !strings.Contains(d, `"name":"Bea Booked"`) {
		t.Fatalf("Ben's ring card does not say it is his booked appointment: %s", d)
	}
	phones[0].Expect("call.incoming", ordinaryCalls[0], 10*time.Second)
	if got := entryState(a, ordinary[1]); got != agentdesk.EntryWaiting {
		t.Fatalf("the second ordinary shopper is %q, want still waiting", got)
	}
	var offered []struct {
		ID        string
		OfferedAt time.Time
	}
	a.DB.Table("queue_entries").Select("id, offered_at").Where("offered_at IS NOT NULL").Order("offered_at, id").Scan(&offered)
	if len(offered) != 2 || offered[0].ID != entry {
		t.Fatalf("offers in order %+v; want the booked entry %s first", offered, entry)
	}
	phones[1].Send("call.answer", map[string]any{"callId": callID})
	bp.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "Ben on the booked call", func() bool { return agentState(a, ids[1]) == agentdesk.AgentOnCall })
	apptest.WaitMedia(t, bp, phones[1])
}

// TestBookedCallFallsBackWhenTheBookedAgentIsAway: a booked call whose
// agent is offline goes to any free agent; one whose agent declines it
// goes to another agent at once (not after the preference window).
func TestBookedCallFallsBackWhenTheBookedAgentIsAway(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 10 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	agents, phones, ids := agentsOnline(t, a, base, "Ann Agent", "Ben Agent", "Cat Agent")

	// Ben is offline: his booked call rings the longest-idle agent, Ann.
	phones[1].Close()
	apptest.WaitFor(t, 10*time.Second, "Ben offline", func() bool { return agentState(a, ids[1]) == agentdesk.AgentOffline })
	first := apptest.Member(t, a, "Fay First")
	b1 := bookNow(t, a, sup, first, apptest.RoutingStore, ids[1], "Fay First")
	p1 := apptest.NewPhone(t, first, base)
	e1, c1 := queueCall(t, a, p1, sales, b1.Token)
	if got := preferredOf(a, e1); got != ids[1] {
		t.Fatalf("the booked entry prefers %q, want Ben", got)
	}
	phones[0].Expect("call.incoming", c1, 10*time.Second)
	phones[0].Send("call.answer", map[string]any{"callId": c1})
	p1.Expect("call.state", `"state":"active"`, 5*time.Second)

	// Ben comes back. Sid booked Cat: it rings Cat (though Ben has been
	// idle longer); she declines, and Ben takes it at once.
	phones[1] = apptest.NewPhone(t, agents[1], base)
	apptest.WaitFor(t, 5*time.Second, "Ben available again", func() bool { return agentState(a, ids[1]) == agentdesk.AgentAvailable })
	a.DB.Table("agent_states").Where("account_id = ?", ids[1]).Update("idle_since", time.Now().UTC().Add(-time.Hour))
	second := apptest.Member(t, a, "Sid Second")
	b2 := bookNow(t, a, sup, second, apptest.RoutingStore, ids[2], "Sid Second")
	p2 := apptest.NewPhone(t, second, base)
	e2, c2 := queueCall(t, a, p2, sales, b2.Token)
	phones[2].Expect("call.incoming", c2, 10*time.Second)
	phones[2].Send("call.decline", map[string]any{"callId": c2})
	declinedAt := time.Now()
	phones[1].Expect("call.incoming", c2, 10*time.Second)
	if waited := time.Since(declinedAt); waited > agentdesk.BookedPreference/2 {
		t.Fatalf("the declined booked call waited %v for another agent", waited)
	}
	if got := agentState(a, ids[2]); got != agentdesk.AgentAway {
		t.Fatalf("Cat declined and is %q, want away", got)
	}
	if got := entryState(a, e2); got != agentdesk.EntryOffered {
		t.Fatalf("the declined booked entry is %q, want offered to another agent", got)
	}
}

// TestBookedAgentDoesNotBlockTheLine: while the booked agent is on
// another call, the booked shopper waits for them (for the preference
// window), and the ordinary shoppers behind still reach the other free
// agent; when the booked agent is free the booked call rings them.
func TestBookedAgentDoesNotBlockTheLine(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 10 * time.Second; c.WrapUp = time.Second })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	agents, phones, ids := agentsOnline(t, a, base, "Ann Agent", "Ben Agent")
	agents[0].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})

	// Ben takes an ordinary call.
	busy := apptest.NewPhone(t, apptest.Member(t, a, "Bo Busy"), base)
	_, busyCall := queueCall(t, a, busy, sales, "")
	phones[1].Expect("call.incoming", busyCall, 10*time.Second)
	phones[1].Send("call.answer", map[string]any{"callId": busyCall})
	busy.Expect("call.state", `"state":"active"`, 5*time.Second)

	// A shopper who booked Ben joins, then an ordinary one; Ann comes back.
	booker := apptest.Member(t, a, "Bea Booked")
	b := bookNow(t, a, sup, booker, apptest.RoutingStore, ids[1], "Bea Booked")
	bp := apptest.NewPhone(t, booker, base)
	entry, callID := queueCall(t, a, bp, sales, b.Token)
	op := apptest.NewPhone(t, apptest.Member(t, a, "Ola Ordinary"), base)
	ordinary, ordinaryCall := queueCall(t, a, op, sales, "")
	agents[0].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	phones[0].Expect("call.incoming", ordinaryCall, 10*time.Second)
	if got := entryState(a, ordinary); got != agentdesk.EntryOffered {
		t.Fatalf("the ordinary shopper behind the booked one is %q, want offered to Ann", got)
	}
	if got := entryState(a, entry); got != agentdesk.EntryWaiting {
		t.Fatalf("the booked shopper is %q while Ben is busy, want waiting for him", got)
	}
	phones[0].Send("call.answer", map[string]any{"callId": ordinaryCall})
	op.Expect("call.state", `"state":"active"`, 5*time.Second)

	// Ben hangs up and wraps up: his booked call rings him.
	phones[1].Send("call.hangup", map[string]any{"callId": busyCall})
	phones[1].Expect("call.incoming", callID, 15*time.Second)
}

// TestAppointmentTokenOfAnotherStoreIsIgnored: a call that carries a token
// which does not check out queues like any other (no preferred agent, no
// error for the shopper): another store's appointment, one cancelled,
// missed, over or not yet due, and tokens that are not tokens. The last
// row, a good token, shows the test can tell.
func TestAppointmentTokenOfAnotherStoreIsIgnored(t *testing.T) {
	logs := apptest.CaptureLog(t) // before the app: its parts keep the logger they start with
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Ann Agent")
	ag.Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})
	agentID := ag.AccountID()
	const otherStore = "lumen-electronics"
	otherSup := apptest.SignedInAs(t, a, auth.RoleSupervisor, otherStore)
	otherAgent := apptest.AgentOf(t, a, otherStore, "Oz Other")

	shopper := apptest.Member(t, a, "Tia Token")
	mine := bookNow(t, a, sup, shopper, apptest.RoutingStore, agentID, "Tia Token")
	theirs := bookNow(t, a, otherSup, shopper, otherStore, otherAgent.AccountID(), "Tia Token")
	now := time.Now().UTC()
	set := func(status string, start, end time.Time) {
		t.Helper()
		if err := a.DB.Exec("UPDATE appointments SET status = ?, starts_at = ?, ends_at = ? WHERE id = ?", status, start, end, mine.Appointment.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	live := func() { set("booked", now.Add(-time.Minute), now.Add(29*time.Minute)) }
	tests := []struct {
		name    string
		token   string
		prepare func()
		code    string // the answer of BookedCall
	}{
		{"a token of another store", theirs.Token, live, apperr.NotFound},
		{"a cancelled appointment", mine.Token, func() { set("cancelled", now.Add(-time.Minute), now.Add(29*time.Minute)) }, apperr.Conflict},
		{"a missed appointment", mine.Token, func() { set("no_show", now.Add(-time.Minute), now.Add(29*time.Minute)) }, apperr.Conflict},
		{"an appointment that is over", mine.Token, func() { set("joined", now.Add(-time.Hour), now.Add(-30*time.Minute)) }, apperr.Conflict},
		{"an appointment not yet due", mine.Token, func() { set("booked", now.Add(2*time.Hour), now.Add(150*time.Minute)) }, apperr.Conflict},
		{"a guessed token", mine.Token[:len(mine.Token)-3] + "AAA", live, apperr.NotFound},
		{"a malformed token", "apt_x", live, apperr.NotFound},
		{"garbage", "'; DROP TABLE appointments; --", live, apperr.NotFound},
		{"a token far too long", "apt_" + strings.Repeat("A", 4000), live, ""},
		{"the good token", mine.Token, live, ""},
	}
	var storeID int64
	a.DB.Table("stores").Where("slug = ?", apptest.RoutingStore).Pluck("id", &storeID)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare()
			if tc.code != "" {
				_, err := a.Appointments.BookedCall(t.Context(), storeID, tc.token)
				if !apperr.Is(err, tc.code) {
					t.Fatalf("BookedCall: %v, want %s", err, tc.code)
				}
			}
			p := apptest.NewPhone(t, apptest.Member(t, a, fmt.Sprintf("Row Shopper%d", i)), base)
			entry, callID := queueCall(t, a, p, sales, tc.token)
			got := preferredOf(a, entry)
			if tc.name == "the good token" {
				if got != agentID {
					t.Fatalf("the good token gave preference %q, want %s", got, agentID)
				}
			} else if got != "" {
				t.Fatalf("the call prefers %q; want no preference", got)
			}
			if st := entryState(a, entry); st != agentdesk.EntryWaiting {
				t.Fatalf("the call is %q, want waiting like any call", st)
			}
			p.Send("call.hangup", map[string]any{"callId": callID})
			p.Expect("call.state", `"state":"ended"`, 5*time.Second)
		})
	}
	if !strings.Contains(logs.String(), "appointment token ignored") {
		t.Fatalf("the ignored tokens were not logged:\n%s", logs.String())
	}
	var n int64
	a.DB.Table("appointments").Count(&n)
	if n != 2 {
		t.Fatalf("%d appointments after the refusals, want the 2 booked", n)
	}
}
