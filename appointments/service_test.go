package appointments_test

import (
	"context"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/appointments"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/mail"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// clock is a test clock the services read; tests move it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const store = "vinoteca-rossi"

// fixture is a node with the demo mall, the store's staff, and a service
// on a test clock writing into its own outbox.
type fixture struct {
	a      *app.App
	clock  *clock
	svc    *appointments.Service
	outbox string
	agents []string
	id     int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	a := apptest.New(t)
	// Monday 7 December 2026, 08:00 in Berlin.
	f := &fixture{a: a, clock: &clock{t: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)}, outbox: t.TempDir()}
	st, err := a.Catalog.StoreBySlug(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	f.id = st.ID
	f.svc = f.node(f.outbox)
	f.agents, err = a.Accounts.StaffOf(t.Context(), st.ID, auth.RoleAgent)
	if err != nil || len(f.agents) == 0 {
		t.Fatalf("agents of %s: %v %v", store, f.agents, err)
	}
	return f
}

// node is another node's service on the same database and clock.
func (f *fixture) node(outbox string) *appointments.Service {
	return appointments.New(f.a.DB.DB, f.a.Catalog, f.a.Accounts, mail.NewOutbox(outbox, "shop@test.example"), appointments.Config{PublicURL: "http://localhost:8080", Now: f.clock.Now, LinkKey: []byte("the nodes' shared key")})
}

// schedule gives the agents Monday 09:00–11:00 in Berlin, 30-minute slots.
// Berlin is the store's own zone, set as its supervisor would.
func (f *fixture) schedule(t *testing.T, agents ...string) {
	t.Helper()
	if err := f.a.DB.Exec("UPDATE stores SET time_zone = ? WHERE id = ?", "Europe/Berlin", f.id).Error; err != nil {
		t.Fatal(err)
	}
	var hours []appointments.HoursView
	for _, id := range agents {
		hours = append(hours, appointments.HoursView{AgentID: id, Weekday: 1, Start: "09:00", End: "11:00"})
	}
	if _, err := f.svc.SetSchedule(t.Context(), f.id, appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, LeadMinutes: 30, HorizonDays: 14, NoShowMinutes: 10}, Hours: hours}); err != nil {
		t.Fatal(err)
	}
}

// berlin is Monday 7 December 2026 at hh:mm in Berlin.
func berlin(hh, mm int) time.Time { return time.Date(2026, 12, 7, hh-1, mm, 0, 0, time.UTC) }

func (f *fixture) book(t *testing.T, start time.Time, email string) (*appointments.Booking, error) {
	t.Helper()
	return f.svc.Book(t.Context(), appointments.BookRequest{StoreSlug: store, Start: start, Name: "Ana Lima", Email: email, ClientIP: "192.0.2.1"})
}

// mails lists the outbox's messages whose text contains want.
func mails(t *testing.T, dir, want string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if text := decodeQP(string(b)); strings.Contains(text, want) {
			out = append(out, text)
		}
	}
	return out
}

func TestBookCancelAndNoShow(t *testing.T) {
	f := newFixture(t)
	f.schedule(t, f.agents[0])
	ctx := t.Context()

	slots, err := f.svc.Slots(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	// 08:00 now with a 30-minute lead: 09:00 to 10:30, four slots on Monday,
	// and four each later Monday inside 14 days.
	if len(slots.Slots) < 4 || !slots.Slots[0].Start.Equal(berlin(9, 0)) || slots.TimeZone != "Europe/Berlin" {
		t.Fatalf("slots: %+v", slots)
	}

	b, err := f.book(t, berlin(9, 30), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if b.Appointment.AgentID != f.agents[0] || b.Appointment.Status != appointments.StatusBooked || !strings.HasPrefix(b.Token, "apt_") {
		t.Fatalf("booking: %+v", b.Appointment)
	}
	if got := mails(t, f.outbox, "is booked for Monday 7 December 2026, 09:30"); len(got) != 1 || !strings.Contains(got[0], "/appointments/apt_") || !strings.Contains(got[0], "calendar.ics") {
		t.Fatalf("confirmation: %q", got)
	}
	// The slot is gone; booking it again is a conflict, leaving one row.
	slots, _ = f.svc.Slots(ctx, store)
	for _, s := range slots.Slots {
		if s.Start.Equal(berlin(9, 30)) {
			t.Fatalf("the booked slot is still offered")
		}
	}
	if _, err := f.book(t, berlin(9, 30), "bo@example.com"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("double booking: %v, want conflict", err)
	}
	// Concurrent bookings of one free slot: exactly one wins.
	var wg sync.WaitGroup
	results := make([]error, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = f.book(t, berlin(10, 0), "race@example.com")
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !apperr.Is(err, apperr.Conflict):
			t.Fatalf("a racing booking failed otherwise: %v", err)
		}
	}
	var live int64
	f.a.DB.Table("appointments").Where("starts_at = ? AND status = ?", berlin(10, 0), "booked").Count(&live)
	if won != 1 || live != 1 {
		t.Fatalf("%d racing bookings won, %d rows; want 1 and 1", won, live)
	}

	// The shopper cancels by the link: the slot is offered again.
	got, err := f.svc.CancelByShopper(ctx, b.Token)
	if err != nil || got.Status != appointments.StatusCancelled || got.CancelledBy != "shopper" {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if _, err := f.svc.CancelByShopper(ctx, b.Token); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second cancel: %v, want conflict", err)
	}
	b2, err := f.book(t, berlin(9, 30), "bo@example.com")
	if err != nil {
		t.Fatalf("rebook the cancelled slot: %v", err)
	}

	// Joining opens five minutes before the start.
	if _, err := f.svc.Join(ctx, b2.Token); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("join two hours early: %v, want conflict", err)
	}
	f.clock.Set(berlin(9, 26))
	j, err := f.svc.Join(ctx, b2.Token)
	if err != nil || j.Status != appointments.StatusJoined || j.JoinedAt == nil {
		t.Fatalf("join: %+v %v", j, err)
	}
	if _, err := f.svc.CancelByShopper(ctx, b2.Token); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("cancel after joining: %v, want conflict", err)
	}

	// The 10:00 booking nobody joins: at 10:09 it still stands, at 10:10
	// it is a no-show.
	f.clock.Set(berlin(10, 9))
	if sw, err := f.svc.Sweep(ctx); err != nil || sw.NoShows != 0 {
		t.Fatalf("sweep at 10:09: %+v %v", sw, err)
	}
	f.clock.Set(berlin(10, 10))
	if sw, err := f.svc.Sweep(ctx); err != nil || sw.NoShows != 1 {
		t.Fatalf("sweep at 10:10: %+v %v", sw, err)
	}
	var status string
	f.a.DB.Table("appointments").Where("starts_at = ?", berlin(10, 0)).Pluck("status", &status)
	if status != appointments.StatusNoShow {
		t.Fatalf("10:00 booking is %q, want no_show", status)
	}
	// The joined one is no no-show.
	f.a.DB.Table("appointments").Where("id = ?", b2.Appointment.ID).Pluck("status", &status)
	if status != appointments.StatusJoined {
		t.Fatalf("joined booking is %q", status)
	}
}

func TestBookingRefusals(t *testing.T) {
	f := newFixture(t)
	f.schedule(t, f.agents[0])
	ctx := t.Context()
	b, err := f.book(t, berlin(10, 30), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  appointments.BookRequest
		code string
		text string
	}{
		{"no name", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0), Email: "a@example.com"}, apperr.Invalid, "name is required"},
		{"two-line name", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0), Name: "A\nB", Email: "a@example.com"}, apperr.Invalid, "one line"},
		{"long name", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0), Name: strings.Repeat("n", 101), Email: "a@example.com"}, apperr.Invalid, "100 characters"},
		{"bad email", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0), Name: "A", Email: "a@"}, apperr.Invalid, "not a valid address"},
		{"no start", appointments.BookRequest{StoreSlug: store, Name: "A", Email: "a@example.com"}, apperr.Invalid, "start is required"},
		{"unknown store", appointments.BookRequest{StoreSlug: "nope", Start: berlin(9, 0), Name: "A", Email: "a@example.com"}, apperr.NotFound, ""},
		{"unknown product", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0), Name: "A", Email: "a@example.com", ProductSKU: "NOPE"}, apperr.NotFound, ""},
		{"in the past", appointments.BookRequest{StoreSlug: store, Start: berlin(7, 0), Name: "A", Email: "a@example.com"}, apperr.Invalid, "has passed"},
		{"inside the lead time", appointments.BookRequest{StoreSlug: store, Start: berlin(8, 15), Name: "A", Email: "a@example.com"}, apperr.Invalid, "too soon"},
		{"off the slot grid", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 10), Name: "A", Email: "a@example.com"}, apperr.Invalid, "no video call at that time"},
		{"outside working hours", appointments.BookRequest{StoreSlug: store, Start: berlin(12, 0), Name: "A", Email: "a@example.com"}, apperr.Invalid, "no video call at that time"},
		{"past the horizon", appointments.BookRequest{StoreSlug: store, Start: berlin(9, 0).AddDate(0, 0, 21), Name: "A", Email: "a@example.com"}, apperr.Invalid, "no video call at that time"},
		{"taken", appointments.BookRequest{StoreSlug: store, Start: berlin(10, 30), Name: "A", Email: "a@example.com"}, apperr.Conflict, "just booked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Book(ctx, tc.req)
			if !apperr.Is(err, tc.code) || !strings.Contains(apperr.Message(err), tc.text) {
				t.Fatalf("Book: %v, want %s containing %q", err, tc.code, tc.text)
			}
		})
	}
	var n int64
	f.a.DB.Table("appointments").Count(&n)
	if n != 1 {
		t.Fatalf("%d appointments after refusals, want the one booked", n)
	}
	// Tokens: unknown and malformed look alike.
	for _, tok := range []string{"", "apt_x", b.Token[:len(b.Token)-2] + "AA", "../" + b.Token} {
		if _, err := f.svc.ByToken(ctx, tok); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("ByToken(%q): %v, want not found", tok, err)
		}
	}
	// Another store cannot cancel it; its own can, and the shopper hears.
	other, _ := f.a.Catalog.StoreBySlug(ctx, "north-peak-outfitters")
	if _, err := f.svc.CancelByStore(ctx, other.ID, b.Appointment.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another store cancels: %v, want not found", err)
	}
	if a, err := f.svc.CancelByStore(ctx, f.id, b.Appointment.ID); err != nil || a.CancelledBy != "store" {
		t.Fatalf("store cancels: %+v %v", a, err)
	}
	if got := mails(t, f.outbox, "had to cancel your video call"); len(got) != 1 {
		t.Fatalf("cancellation mails: %d", len(got))
	}
	// Schedules: refused whole.
	bad := []struct {
		name string
		sc   appointments.Schedule
		text string
	}{
		{"unknown zone", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Mars/Base", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10}}, "time zone"},
		{"slot too long", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 241, HorizonDays: 14, NoShowMinutes: 10}}, "slot length"},
		{"negative lead", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, LeadMinutes: -1, HorizonDays: 14, NoShowMinutes: 10}}, "lead time"},
		{"no horizon", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, NoShowMinutes: 10}}, "days ahead"},
		{"no no-show time", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14}}, "no-show"},
		{"another store's agent", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10},
			Hours: []appointments.HoursView{{AgentID: "acc_nobody", Weekday: 1, Start: "09:00", End: "10:00"}}}, "not one of your store's agents"},
		{"bad weekday", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10},
			Hours: []appointments.HoursView{{AgentID: f.agents[0], Weekday: 7, Start: "09:00", End: "10:00"}}}, "weekday"},
		{"bad clock", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10},
			Hours: []appointments.HoursView{{AgentID: f.agents[0], Weekday: 1, Start: "9:00", End: "10:00"}}}, "time of day"},
		{"backwards", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10},
			Hours: []appointments.HoursView{{AgentID: f.agents[0], Weekday: 1, Start: "10:00", End: "09:00"}}}, "begin before"},
		{"overlapping", appointments.Schedule{Settings: appointments.Settings{TimeZone: "Europe/Berlin", SlotMinutes: 30, HorizonDays: 14, NoShowMinutes: 10},
			Hours: []appointments.HoursView{{AgentID: f.agents[0], Weekday: 1, Start: "09:00", End: "10:00"}, {AgentID: f.agents[0], Weekday: 1, Start: "09:30", End: "11:00"}}}, "overlaps"},
	}
	for _, tc := range bad {
		t.Run("schedule "+tc.name, func(t *testing.T) {
			_, err := f.svc.SetSchedule(ctx, f.id, tc.sc)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tc.text) {
				t.Fatalf("SetSchedule: %v, want invalid containing %q", err, tc.text)
			}
			sc, _ := f.svc.ScheduleOf(ctx, f.id)
			if sc.Settings.TimeZone != "Europe/Berlin" || len(sc.Hours) != 1 {
				t.Fatalf("a refused schedule changed the stored one: %+v", sc)
			}
		})
	}
}

// TestReminderSentOnceByTwoNodes has two nodes sweep the same bookings at
// once, again and again: each reminder goes out exactly once.
func TestReminderSentOnceByTwoNodes(t *testing.T) {
	f := newFixture(t)
	f.schedule(t, f.agents[0])
	ana, err := f.book(t, berlin(10, 0), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.book(t, berlin(10, 30), "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	outA, outB := t.TempDir(), t.TempDir()
	nodes := []*appointments.Service{f.node(outA), f.node(outB)}
	// 08:00: nothing is due yet.
	for _, n := range nodes {
		if sw, err := n.Sweep(t.Context()); err != nil || sw.Reminded != 0 {
			t.Fatalf("sweep at 08:00: %+v %v", sw, err)
		}
	}
	// 09:00: the 10:00 booking is due, not the 10:30 one.
	f.clock.Set(berlin(9, 0))
	sweepAll := func() {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := nodes[i%2].Sweep(context.Background()); err != nil {
					t.Errorf("sweep: %v", err)
				}
			}()
		}
		wg.Wait()
	}
	sweepAll()
	count := func(to string) int { return len(mails(t, outA, "To: "+to)) + len(mails(t, outB, "To: "+to)) }
	if a, b := count("ana@example.com"), count("bo@example.com"); a != 1 || b != 0 {
		t.Fatalf("at 09:00: %d reminders to ana, %d to bo; want 1 and 0", a, b)
	}
	// The reminder carries the booking's own link, though only its hash is
	// stored: both nodes derive it from the shared key.
	if got := append(mails(t, outA, "To: ana@example.com"), mails(t, outB, "To: ana@example.com")...); !strings.Contains(got[0], "http://localhost:8080/appointments/"+ana.Token) {
		t.Fatalf("the reminder lacks the link %s:\n%s", ana.Token, got[0])
	}
	f.clock.Set(berlin(9, 35))
	sweepAll()
	sweepAll()
	if a, b := count("ana@example.com"), count("bo@example.com"); a != 1 || b != 1 {
		t.Fatalf("at 09:35: %d reminders to ana, %d to bo; want 1 and 1", a, b)
	}
	if got := append(mails(t, outA, "starts soon"), mails(t, outB, "starts soon")...); len(got) != 2 || !strings.Contains(got[0], "Reminder: your video call with Vinoteca Rossi") {
		t.Fatalf("reminders: %q", got)
	}
}

// TestBookingWithinTheHourSendsNoSecondReminder: a slot booked less than an
// hour ahead gets its confirmation only.
func TestBookingWithinTheHourSendsNoSecondReminder(t *testing.T) {
	f := newFixture(t)
	f.schedule(t, f.agents[0])
	f.clock.Set(berlin(8, 45))
	if _, err := f.book(t, berlin(9, 30), "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if sw, err := f.svc.Sweep(t.Context()); err != nil || sw.Reminded != 0 {
		t.Fatalf("sweep: %+v %v", sw, err)
	}
}

// decodeQP undoes the outbox's quoted-printable body encoding enough to
// search the text: soft line breaks and =XX escapes.
func decodeQP(s string) string {
	r, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	if err != nil {
		return s
	}
	return string(r)
}
