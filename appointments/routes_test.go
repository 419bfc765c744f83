package appointments_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

// openAllWeek is a schedule body giving the agent every day, all day.
func openAllWeek(agent string, lead int) map[string]any {
	var hours []map[string]any
	for d := 0; d < 7; d++ {
		hours = append(hours, map[string]any{"agentId": agent, "weekday": d, "start": "00:00", "end": "24:00"})
	}
	return map[string]any{"settings": map[string]any{"slotMinutes": 30, "leadMinutes": lead, "horizonDays": 14, "noShowMinutes": 10}, "hours": hours}
}

func TestAppointmentAPIErrorCases(t *testing.T) {
	a := apptest.New(t)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, store)
	agent := apptest.SignedInAs(t, a, auth.RoleAgent, store)
	otherSup := apptest.SignedInAs(t, a, auth.RoleSupervisor, "north-peak-outfitters")
	otherAgent := apptest.SignedInAs(t, a, auth.RoleAgent, "north-peak-outfitters")
	member := apptest.SignedInAs(t, a, auth.RoleMember, "shop")
	var agents struct {
		Agents []struct{ ID, Name string } `json:"agents"`
	}
	sup.Must(200, "GET", "/api/v1/desk/appointment-hours", nil).JSON(t, &agents)
	if len(agents.Agents) == 0 {
		t.Fatalf("no agents listed")
	}
	// The store's one zone is UTC here, as its supervisor would set it.
	if err := a.DB.Exec("UPDATE stores SET time_zone = 'UTC' WHERE slug = ?", store).Error; err != nil {
		t.Fatal(err)
	}
	sup.Must(200, "PUT", "/api/v1/desk/appointment-hours", openAllWeek(agents.Agents[0].ID, 0))

	var slots struct {
		TimeZone string `json:"timeZone"`
		Slots    []struct {
			Start time.Time `json:"start"`
		} `json:"slots"`
	}
	apptest.NewClient(t, a).Must(200, "GET", "/api/v1/stores/"+store+"/appointment-slots", nil).JSON(t, &slots)
	if len(slots.Slots) < 20 || slots.TimeZone != "UTC" {
		t.Fatalf("slots: %d in %q", len(slots.Slots), slots.TimeZone)
	}
	slot := func(i int) string { return slots.Slots[i].Start.Format(time.RFC3339) }
	body := func(start, extra string) string {
		return fmt.Sprintf(`{"start":%q,"name":"Ana Lima","email":"ana@example.com"%s}`, start, extra)
	}
	var booked struct {
		Token       string `json:"token"`
		Link        string `json:"link"`
		Calendar    string `json:"calendar"`
		Appointment struct {
			ID string `json:"id"`
		} `json:"appointment"`
	}
	member.Must(201, "POST", "/api/v1/stores/"+store+"/appointments", body(slot(3), `,"product":"VR-BAROLO-18"`)).JSON(t, &booked)
	if !strings.HasSuffix(booked.Link, "/appointments/"+booked.Token) || !strings.HasSuffix(booked.Calendar, "/calendar.ics") {
		t.Fatalf("booking: %+v", booked)
	}
	ics := member.Must(200, "GET", "/api/v1/appointments/"+booked.Token+"/calendar.ics", nil)
	if !strings.Contains(ics.Body, "BEGIN:VEVENT\r\n") || !strings.Contains(ics.Body, "DTSTART:"+slots.Slots[3].Start.UTC().Format("20060102T150405Z")) {
		t.Fatalf("ics: %s", ics.Body)
	}
	who := apptest.Actors{"sup": sup, "agent": agent, "otherSup": otherSup, "otherAgent": otherAgent, "member": member}
	tok := booked.Token
	bad := tok[:len(tok)-3] + "AAA"
	tests := []apptest.Scenario{
		{Name: "slots of an unknown store", Method: "GET", Path: "/api/v1/stores/nope/appointment-slots", Status: 404, Code: "not_found"},
		{Name: "book without a body", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: "", Status: 400, Code: "invalid", Text: "body is empty"},
		{Name: "book without start", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: `{"name":"A","email":"a@example.com"}`, Status: 400, Code: "invalid", Text: `"start" is required`},
		{Name: "book a malformed start", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body("tomorrow at ten", ""), Status: 400, Code: "invalid", Text: "not a time like"},
		{Name: "book a past time", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body("2020-01-01T10:00:00Z", ""), Status: 400, Code: "invalid", Text: "has passed"},
		{Name: "book off the grid", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body(slots.Slots[4].Start.Add(7*time.Minute).Format(time.RFC3339), ""), Status: 400, Code: "invalid", Text: "no video call at that time"},
		{Name: "book a taken slot", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body(slot(3), ""), Status: 409, Code: "conflict", Text: "just booked"},
		{Name: "book with an unknown field", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body(slot(4), `,"agentId":"x"`), Status: 400, Code: "invalid", Text: "unknown field"},
		{Name: "book with a bad email", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: `{"start":"` + slot(4) + `","name":"A","email":"a@b"}`, Status: 400, Code: "invalid", Text: "not a valid address"},
		{Name: "book at an unknown store", Method: "POST", Path: "/api/v1/stores/nope/appointments", Body: body(slot(4), ""), Status: 404, Code: "not_found"},
		{Name: "book about an unknown product", Method: "POST", Path: "/api/v1/stores/" + store + "/appointments", Body: body(slot(4), `,"product":"NOPE"`), Status: 404, Code: "not_found"},
		{Name: "show a guessed token", Method: "GET", Path: "/api/v1/appointments/" + bad, Status: 404, Code: "not_found", Text: "no appointment at this link"},
		{Name: "show a malformed token", Method: "GET", Path: "/api/v1/appointments/apt_x", Status: 404, Code: "not_found", Text: "no appointment at this link"},
		{Name: "calendar of a guessed token", Method: "GET", Path: "/api/v1/appointments/" + bad + "/calendar.ics", Status: 404, Code: "not_found"},
		{Name: "cancel a guessed token", Method: "POST", Path: "/api/v1/appointments/" + bad + "/cancel", Status: 404, Code: "not_found"},
		{Name: "join too early", Method: "POST", Path: "/api/v1/appointments/" + tok + "/join", Status: 409, Code: "conflict", Text: "cannot be joined now"},
		{Name: "show by the link", Method: "GET", Path: "/api/v1/appointments/" + tok, Status: 200, Text: `"cancellable":true`},
		{Name: "desk list signed out", Method: "GET", Path: "/api/v1/desk/appointments", Status: 401, Code: "unauthorized"},
		{Name: "desk list as a member", Who: "member", Method: "GET", Path: "/api/v1/desk/appointments", Status: 403, Code: "forbidden"},
		{Name: "desk list of another store", Who: "otherAgent", Method: "GET", Path: "/api/v1/desk/appointments", Status: 200, Text: `{"appointments":[]}`},
		{Name: "desk list of the store", Who: "agent", Method: "GET", Path: "/api/v1/desk/appointments", Status: 200, Text: booked.Appointment.ID},
		{Name: "cancel another store's appointment", Who: "otherSup", Method: "POST", Path: "/api/v1/desk/appointments/" + booked.Appointment.ID + "/cancel", Status: 404, Code: "not_found"},
		{Name: "hours as an agent", Who: "agent", Method: "GET", Path: "/api/v1/desk/appointment-hours", Status: 403, Code: "forbidden"},
		{Name: "set hours as an agent", Who: "agent", Method: "PUT", Path: "/api/v1/desk/appointment-hours", Body: openAllWeek(agents.Agents[0].ID, 0), Status: 403, Code: "forbidden"},
		{Name: "set hours signed out", Method: "PUT", Path: "/api/v1/desk/appointment-hours", Body: openAllWeek(agents.Agents[0].ID, 0), Status: 401, Code: "unauthorized"},
		{Name: "set hours for another store's agent", Who: "otherSup", Method: "PUT", Path: "/api/v1/desk/appointment-hours", Body: openAllWeek(agents.Agents[0].ID, 0), Status: 400, Code: "invalid", Text: "not one of your store's agents"},
		{Name: "set hours without settings", Who: "sup", Method: "PUT", Path: "/api/v1/desk/appointment-hours", Body: `{"hours":[]}`, Status: 400, Code: "invalid", Text: `"settings" is required`},
		{Name: "set hours with a bad zone", Who: "sup", Method: "PUT", Path: "/api/v1/desk/appointment-hours", Body: `{"settings":{"timeZone":"Moon","slotMinutes":30,"horizonDays":14,"noShowMinutes":10}}`, Status: 400, Code: "invalid", Text: "time zone"},
		{Name: "the store cancels", Who: "agent", Method: "POST", Path: "/api/v1/desk/appointments/" + booked.Appointment.ID + "/cancel", Status: 200, Text: `"cancelled"`},
		{Name: "the shopper cannot cancel it again", Method: "POST", Path: "/api/v1/appointments/" + tok + "/cancel", Status: 409, Code: "conflict", Text: "cancelled by the store"},
	}
	apptest.RunScenarios(t, a, who, tests)

	// Rate limit: one address tries at most six bookings an hour (the
	// attempts above that reached a slot count too); the refused one
	// stores nothing.
	c := apptest.NewClient(t, a)
	ok := 0
	var refused apptest.Response
	for i := 0; i < 7 && refused.Status == 0; i++ {
		r := c.Do("POST", "/api/v1/stores/"+store+"/appointments", fmt.Sprintf(`{"start":%q,"name":"Bo","email":"bo%d@example.com"}`, slot(10+i), i))
		switch r.Status {
		case 201:
			ok++
		default:
			refused = r
		}
	}
	apptest.CheckAnswer(t, apptest.Scenario{Method: "POST", Path: "book past the limit", Status: 429, Code: "rate_limited", Text: "too many bookings"}, refused)
	if ok >= 6 {
		t.Fatalf("%d bookings went through before the limit", ok)
	}
	var n int64
	a.DB.Table("appointments").Count(&n)
	if n != int64(1+ok) {
		t.Fatalf("%d appointments, want %d (the refused booking stored nothing)", n, 1+ok)
	}
}
