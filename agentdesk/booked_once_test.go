package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/config"
)

// appointmentOf reads the appointment a queue entry claimed ("" for none).
func appointmentOf(a *app.App, entry string) string {
	var s string
	a.DB.Table("queue_entries").Where("id = ? AND appointment_id IS NOT NULL", entry).Pluck("appointment_id", &s)
	return s
}

// TestBookingTokenBuysTheFrontOfTheLineOnce: a booking's token puts one
// call at the front of the line. Another call with the same token — while
// the booked call waits, while it is connected, and after it was served —
// queues as an ordinary call (no preferred agent, no booking on the desk's
// card, no claim), and that is logged. A booked call hung up while waiting
// gives the token back: the shopper's next call is booked again.
func TestBookingTokenBuysTheFrontOfTheLineOnce(t *testing.T) {
	logs := apptest.CaptureLog(t) // before the app: its parts keep the logger they start with
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 10 * time.Second; c.WrapUp = time.Hour })
	base := apptest.ServeOnLoopback(t, a)
	a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600")
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.RoutingStore)
	agents, phones, ids := agentsOnline(t, a, base, "Ann Agent")
	agents[0].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"})

	booker := apptest.Member(t, a, "Bea Booked")
	b := bookNow(t, a, sup, booker, apptest.RoutingStore, ids[0], "Bea Booked")
	booked := func(entry, when string) {
		t.Helper()
		if got := preferredOf(a, entry); got != ids[0] {
			t.Fatalf("%s: the booked call prefers %q, want Ann %s", when, got, ids[0])
		}
		if got := appointmentOf(a, entry); got != b.Appointment.ID {
			t.Fatalf("%s: the booked call claims appointment %q, want %s", when, got, b.Appointment.ID)
		}
	}
	ordinary := func(p *apptest.Phone, when string) string {
		t.Helper()
		entry, _ := queueCall(t, a, p, sales, b.Token)
		if got := preferredOf(a, entry); got != "" {
			t.Fatalf("%s: a second call with the token prefers %q, want none", when, got)
		}
		if got := appointmentOf(a, entry); got != "" {
			t.Fatalf("%s: a second call with the token claims appointment %q, want none", when, got)
		}
		var context string
		a.DB.Table("queue_entries").Where("id = ?", entry).Pluck("context", &context)
		if strings.Contains(context, `"booking"`) {
			t.Fatalf("%s: the desk would show a second call with the token as booked: %s", when, context)
		}
		if st := entryState(a, entry); st != agentdesk.EntryWaiting {
			t.Fatalf("%s: the second call is %q, want waiting like any call", when, st)
		}
		return entry
	}

	// The booker's first call is hung up while it waits: the token is not
	// spent, and the next call is booked. (Each of the booker's calls is
	// placed from a fresh phone: a phone's queue updates of an earlier call
	// would read as the next call's.)
	first := apptest.NewPhone(t, booker, base)
	dropped, droppedCall := queueCall(t, a, first, sales, b.Token)
	booked(dropped, "the first call")
	first.Send("call.hangup", map[string]any{"callId": droppedCall})
	first.Expect("call.state", `"state":"ended"`, 5*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the dropped call to leave the line", func() bool { return entryState(a, dropped) == agentdesk.EntryAbandoned })
	bp := apptest.NewPhone(t, booker, base)
	entry, callID := queueCall(t, a, bp, sales, b.Token)
	booked(entry, "the call after the dropped one")

	// Someone the link was passed to calls while the booked call waits.
	ordinary(apptest.NewPhone(t, apptest.Member(t, a, "Tom Token"), base), "while the booked call waits")
	bp.Expect("call.state", `"position":1,`, 5*time.Second)

	// Ann takes the booked call (first in line); another call comes in.
	agents[0].Must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	phones[0].Expect("call.incoming", callID, 10*time.Second)
	phones[0].Send("call.answer", map[string]any{"callId": callID})
	bp.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the booked call connected", func() bool { return entryState(a, entry) == agentdesk.EntryConnected })
	ordinary(apptest.NewPhone(t, apptest.Member(t, a, "Uma Token"), base), "while the booked call is connected")

	// The booker hangs up: served. Their own token is spent too.
	bp.Send("call.hangup", map[string]any{"callId": callID})
	apptest.WaitFor(t, 5*time.Second, "the booked call served", func() bool { return entryState(a, entry) == agentdesk.EntryServed })
	ordinary(apptest.NewPhone(t, booker, base), "after the booked call was served")
	booked(entry, "the served call")

	if n := strings.Count(logs.String(), "appointment token already used"); n != 3 {
		t.Fatalf("%d refusals of a used token logged, want 3:\n%s", n, logs.String())
	}
}
