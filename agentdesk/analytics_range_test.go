package agentdesk_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// TestParseReportRange reads good ranges in a store's time zone (presets,
// custom, a change of clocks, a leap year's 366 days) and refuses each bad
// one with a message that says what is wrong.
func TestParseReportRange(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// 00:30 on 29 March 2026 in Berlin is still 28 March in UTC; clocks
	// go forward at 02:00 that day.
	now := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)
	good := []struct {
		preset, from, to string
		first, last      string
		days             int
		startUTC, endUTC string
	}{
		{"", "", "", "2026-03-29", "2026-03-29", 1, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}, // a 23-hour day
		{"today", "", "", "2026-03-29", "2026-03-29", 1, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"},
		{"7d", "", "", "2026-03-23", "2026-03-29", 7, "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z"},
		{"30d", "", "", "2026-02-28", "2026-03-29", 30, "2026-02-27T23:00:00Z", "2026-03-29T22:00:00Z"},
		{"", "2026-10-25", "2026-10-25", "2026-10-25", "2026-10-25", 1, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"}, // 25 hours
		{"custom", "2024-01-01", "2024-12-31", "2024-01-01", "2024-12-31", 366, "2023-12-31T23:00:00Z", "2024-12-31T23:00:00Z"},
		{"custom", "2030-01-01", "2030-01-02", "2030-01-01", "2030-01-02", 2, "2029-12-31T23:00:00Z", "2030-01-02T23:00:00Z"},
	}
	for _, g := range good {
		r, err := agentdesk.ParseReportRange(g.preset, g.from, g.to, now, berlin)
		if err != nil {
			t.Errorf("%q %q %q: %v", g.preset, g.from, g.to, err)
			continue
		}
		if r.First != g.first || r.Last != g.last || len(r.Days()) != g.days || r.Start.Format(time.RFC3339) != g.startUTC || r.End.Format(time.RFC3339) != g.endUTC || r.TimeZone != "Europe/Berlin" {
			t.Errorf("%q %q %q: %s–%s, %d days, %s–%s", g.preset, g.from, g.to, r.First, r.Last, len(r.Days()), r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
		}
	}
	bad := []struct{ preset, from, to, message string }{
		{"yesterday", "", "", "range must be today, 7d, 30d or custom"},
		{"7D", "", "", "range must be"},
		{"7d", "2026-03-01", "", "takes no from or to"},
		{"today", "", "2026-03-01", "takes no from or to"},
		{"custom", "", "", "needs both from and to"},
		{"", "2026-03-01", "", "needs both from and to"},
		{"", "", "2026-03-01", "needs both from and to"},
		{"", "2026-3-1", "2026-03-02", "from must be a day as YYYY-MM-DD"},
		{"", "2026-03-01", "03/02/2026", "to must be a day as YYYY-MM-DD"},
		{"", "2026-02-30", "2026-03-02", "from must be a day"},
		{"", "2026-03-01T00:00", "2026-03-02", "from must be a day"},
		{"", " 2026-03-01", "2026-03-02", "from must be a day"},
		{"", "1999-12-31", "2000-01-01", "between the years 2000 and 2999"},
		{"", "2026-03-01", "3000-01-01", "between the years 2000 and 2999"},
		{"", "2026-03-05", "2026-03-01", "ends (2026-03-01) before it starts (2026-03-05)"},
		{"", "2025-01-01", "2026-01-02", "covers 367 days: at most 366"},
		{"", "2000-01-01", "2999-12-31", "at most 366"},
	}
	for _, b := range bad {
		_, err := agentdesk.ParseReportRange(b.preset, b.from, b.to, now, berlin)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), b.message) {
			t.Errorf("%q %q %q: %v, want invalid %q", b.preset, b.from, b.to, err, b.message)
		}
	}
}

// FuzzReportRange: whatever the query says, the parser answers a range of
// 1 to 366 whole days that holds its own days in order, or an Invalid
// error, and never panics.
func FuzzReportRange(f *testing.F) {
	for _, s := range [][3]string{{"", "", ""}, {"7d", "", ""}, {"custom", "2026-03-01", "2026-03-31"}, {"", "2024-02-29", "2025-02-28"}, {"30d", "x", "y"}, {"", "2026-13-01", "2026-01-01"}} {
		f.Add(s[0], s[1], s[2], int64(1772000000))
	}
	zones := []*time.Location{time.UTC}
	for _, z := range []string{"Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati", "Australia/Lord_Howe"} {
		if l, err := time.LoadLocation(z); err == nil {
			zones = append(zones, l)
		}
	}
	f.Fuzz(func(t *testing.T, preset, from, to string, unix int64) {
		now := time.Unix(unix%(1<<34), 0)
		loc := zones[uint64(unix)%uint64(len(zones))]
		r, err := agentdesk.ParseReportRange(preset, from, to, now, loc)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("%q %q %q: %v is not Invalid", preset, from, to, err)
			}
			return
		}
		days := r.Days()
		if len(days) < 1 || len(days) > agentdesk.MaxReportDays || !r.End.After(r.Start) || !days[0].Equal(r.Start) {
			t.Fatalf("%q %q %q: %d days, %v–%v", preset, from, to, len(days), r.Start, r.End)
		}
		if days[0].In(loc).Format(time.DateOnly) != r.First || days[len(days)-1].In(loc).Format(time.DateOnly) != r.Last {
			t.Fatalf("%q %q %q: days %v…%v for %s–%s", preset, from, to, days[0], days[len(days)-1], r.First, r.Last)
		}
	})
}

// FuzzReportCSV: any agent name goes through the export as one cell that
// reads back as the name, made safe: no cell a spreadsheet would run as
// a formula.
func FuzzReportCSV(f *testing.F) {
	for _, s := range []string{"Anna", `=HYPERLINK("x")`, "+1", "-2", "@SUM(A1)", "\tx", "\r=1", "a,b", `"quoted"`, "line\nbreak", "", "'=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if strings.ContainsRune(name, '\r') {
			// encoding/csv reads a quoted \r\n back as \n: RFC 4180 has no
			// lone carriage returns to keep.
			name = strings.ReplaceAll(name, "\r", "")
		}
		r := &agentdesk.Report{Currency: "EUR", Range: agentdesk.ReportRange{First: "2026-03-01", Last: "2026-03-01"},
			Days: []agentdesk.ReportDay{{Day: "2026-03-01"}}, Agents: []agentdesk.ReportAgent{{ID: "acc_1", Name: name}}}
		var buf bytes.Buffer
		if err := agentdesk.WriteReportCSV(&buf, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("the export of %q does not read back: %v", name, err)
		}
		if len(rows) != 4 {
			t.Fatalf("%q: %d rows", name, len(rows))
		}
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("%q: cell %q would run as a formula", name, cell)
				}
			}
		}
		if got := rows[3][1]; got != agentdesk.SafeCell(name) {
			t.Fatalf("name %q came back as %q", name, got)
		}
	})
}

// TestAnalyticsRefusals: only a store's staff see its figures; an agent
// sees only their own; a supervisor names only agents of their store; bad
// ranges are refused with what is wrong.
func TestAnalyticsRefusals(t *testing.T) {
	a := apptest.New(t)
	h := seedHistory(t, a)
	var slug string
	a.DB.Table("stores").Where("id = ?", h.otherStoreID).Pluck("slug", &slug)
	otherAgent := apptest.AgentOf(t, a, slug, "Olga Other")
	who := apptest.Actors{
		"member":     apptest.SignedInAs(t, a, auth.RoleMember, analyticsStore),
		"admin":      apptest.SignedInAs(t, a, auth.RoleAdmin, analyticsStore),
		"anna":       h.anna,
		"supervisor": h.supervisor,
		"other":      apptest.SignedInAs(t, a, auth.RoleSupervisor, slug),
	}
	const path = "/api/v1/desk/analytics"
	cases := []apptest.Scenario{
		{Name: "signed out", Method: "GET", Path: path, Status: 401, Code: "unauthorized"},
		{Name: "signed out csv", Method: "GET", Path: path + ".csv", Status: 401, Code: "unauthorized"},
		{Name: "a member", Who: "member", Method: "GET", Path: path, Status: 403, Code: "forbidden"},
		{Name: "an admin, of no store", Who: "admin", Method: "GET", Path: path, Status: 403, Code: "forbidden"},
		{Name: "an agent asking for a colleague", Who: "anna", Method: "GET", Path: path + "?agent=" + h.benID, Status: 403, Code: "forbidden", Text: "agents see only their own figures"},
		{Name: "an agent asking for a colleague's csv", Who: "anna", Method: "GET", Path: path + ".csv?agent=" + h.benID, Status: 403, Code: "forbidden"},
		{Name: "an agent asking for their own", Who: "anna", Method: "GET", Path: path + "?agent=" + h.annaID, Status: 200, Text: `"name":"Anna Agent"`},
		{Name: "a supervisor asking for another store's agent", Who: "supervisor", Method: "GET", Path: path + "?agent=" + otherAgent.AccountID(), Status: 404, Code: "not_found", Text: "no agent"},
		{Name: "another store's supervisor asking for ours", Who: "other", Method: "GET", Path: path + "?agent=" + h.annaID, Status: 404, Code: "not_found"},
		{Name: "an agent id that is no id", Who: "supervisor", Method: "GET", Path: path + "?agent=x%27%20OR%201%3D1", Status: 400, Code: "invalid", Text: "agent must be"},
		{Name: "an unknown preset", Who: "supervisor", Method: "GET", Path: path + "?range=year", Status: 400, Code: "invalid", Text: "range must be today, 7d, 30d or custom"},
		{Name: "a preset with days", Who: "supervisor", Method: "GET", Path: path + "?range=7d&from=2026-03-01", Status: 400, Code: "invalid", Text: "takes no from or to"},
		{Name: "from without to", Who: "supervisor", Method: "GET", Path: path + "?from=2026-03-01", Status: 400, Code: "invalid", Text: "needs both from and to"},
		{Name: "a malformed day", Who: "supervisor", Method: "GET", Path: path + "?from=2026-03-01&to=tomorrow", Status: 400, Code: "invalid", Text: "to must be a day as YYYY-MM-DD"},
		{Name: "a reversed range", Who: "supervisor", Method: "GET", Path: path + "?from=2026-03-05&to=2026-03-01", Status: 400, Code: "invalid", Text: "before it starts"},
		{Name: "a range over 366 days", Who: "supervisor", Method: "GET", Path: path + "?from=2025-01-01&to=2026-01-02", Status: 400, Code: "invalid", Text: "covers 367 days: at most 366"},
		{Name: "a range over 366 days as csv", Who: "anna", Method: "GET", Path: path + ".csv?from=2025-01-01&to=2026-01-02", Status: 400, Code: "invalid", Text: "at most 366"},
		{Name: "366 days", Who: "supervisor", Method: "GET", Path: path + "?from=2025-03-05&to=2026-03-05", Status: 200, Text: `"offered":12`}, // and the calls of 1 and 5 March,
		{Name: "the last 30 days", Who: "supervisor", Method: "GET", Path: path + "?range=30d", Status: 200, Text: `"preset":"30d"`},
	}
	apptest.RunScenarios(t, a, who, cases)
}
