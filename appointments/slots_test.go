package appointments

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// starts formats the slots' starts in loc as "Mon 15:04 [agents]".
func starts(slots []Slot, loc *time.Location) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.In(loc).Format("Mon 15:04") + "-" + s.End.In(loc).Format("15:04") + " " + strings.Join(s.Agents, ",")
	}
	return out
}

func TestFreeSlots(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	ny := mustZone(t, "America/New_York")
	// Monday 7 December 2026, 00:00 Berlin.
	mon := time.Date(2026, 12, 7, 0, 0, 0, 0, berlin)
	at := func(h, m int) time.Time { return mon.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	tests := []struct {
		name   string
		rules  SlotRules
		hours  []Hours
		booked []Booked
		want   []string
	}{
		{"one range cut in slots", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 11 * 60}}, nil,
			[]string{"Mon 09:00-09:30 a", "Mon 09:30-10:00 a", "Mon 10:00-10:30 a", "Mon 10:30-11:00 a"}},
		{"a slot that would overrun the range is dropped", SlotRules{berlin, 45 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 11 * 60}}, nil,
			[]string{"Mon 09:00-09:45 a", "Mon 09:45-10:30 a"}},
		{"other weekdays give nothing", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Tuesday, 9 * 60, 10 * 60}}, nil, []string{}},
		{"a booking takes its slot", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 10*60 + 30}}, []Booked{{"a", at(9, 30), at(10, 0)}},
			[]string{"Mon 09:00-09:30 a", "Mon 10:00-10:30 a"}},
		{"a longer booking overlapping two slots takes both", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 11 * 60}}, []Booked{{"a", at(9, 15), at(10, 5)}},
			[]string{"Mon 10:30-11:00 a"}},
		{"another agent's booking leaves the slot free", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 10 * 60}, {"b", time.Monday, 9 * 60, 10 * 60}}, []Booked{{"a", at(9, 0), at(9, 30)}},
			[]string{"Mon 09:00-09:30 b", "Mon 09:30-10:00 a,b"}},
		{"the window's start cuts earlier slots (lead time)", SlotRules{berlin, 30 * time.Minute, at(9, 10), mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil,
			[]string{"Mon 09:30-10:00 a"}},
		{"the window's end cuts later slots (horizon)", SlotRules{berlin, 30 * time.Minute, mon, at(9, 30)},
			[]Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil,
			[]string{"Mon 09:00-09:30 a"}},
		{"a range to midnight", SlotRules{berlin, 60 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 22 * 60, 24 * 60}}, nil,
			[]string{"Mon 22:00-23:00 a", "Mon 23:00-00:00 a"}},
		{"broken ranges are ignored", SlotRules{berlin, 30 * time.Minute, mon, mon.AddDate(0, 0, 1)},
			[]Hours{{"a", time.Monday, 10 * 60, 9 * 60}, {"a", time.Monday, -30, 0}, {"a", time.Monday, 23 * 60, 25 * 60}}, nil, []string{}},
		{"hours are the store's local time", SlotRules{ny, 60 * time.Minute, mon, mon.AddDate(0, 0, 2)},
			// 09:00 in New York is 15:00 in Berlin.
			[]Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil, []string{"Mon 09:00-10:00 a"}},
		{"no length, no slots", SlotRules{berlin, 0, mon, mon.AddDate(0, 0, 1)}, []Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil, []string{}},
		{"empty window, no slots", SlotRules{berlin, 30 * time.Minute, mon, mon}, []Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := starts(FreeSlots(tc.rules, tc.hours, tc.booked), tc.rules.Location)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("slots\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	// In New York the slot is 15:00 Berlin time, 14:00 UTC.
	got := FreeSlots(SlotRules{ny, time.Hour, mon, mon.AddDate(0, 0, 2)}, []Hours{{"a", time.Monday, 9 * 60, 10 * 60}}, nil)
	if len(got) != 1 || !got[0].Start.Equal(time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)) || got[0].Start.Location() != time.UTC {
		t.Fatalf("New York 09:00 is %v, want 14:00 UTC", got)
	}
}

// TestFreeSlotsAcrossDST lays out hours on the days Berlin's clocks change:
// slots last their real length, none starts in the skipped hour, and the
// repeated hour is not offered twice.
func TestFreeSlotsAcrossDST(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	// Sunday 29 March 2026: 02:00 becomes 03:00.
	spring := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)
	got := FreeSlots(SlotRules{berlin, time.Hour, spring, spring.AddDate(0, 0, 1)}, []Hours{{"a", time.Sunday, 1 * 60, 5 * 60}}, nil)
	want := []string{"01:00 CET", "03:00 CEST", "04:00 CEST"}
	var gotS []string
	for _, s := range got {
		gotS = append(gotS, s.Start.In(berlin).Format("15:04 MST"))
		if s.End.Sub(s.Start) != time.Hour {
			t.Errorf("slot %v lasts %v, want 1h", s.Start, s.End.Sub(s.Start))
		}
	}
	if strings.Join(gotS, "|") != strings.Join(want, "|") {
		t.Fatalf("spring forward: got %q, want %q", gotS, want)
	}
	// Sunday 25 October 2026: 03:00 becomes 02:00 again; 01:00–04:00 on
	// the wall clock holds four real hours.
	fall := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)
	got = FreeSlots(SlotRules{berlin, time.Hour, fall, fall.AddDate(0, 0, 1)}, []Hours{{"a", time.Sunday, 1 * 60, 4 * 60}}, nil)
	gotS = nil
	for _, s := range got {
		gotS = append(gotS, s.Start.In(berlin).Format("15:04 MST"))
	}
	want = []string{"01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET"}
	if strings.Join(gotS, "|") != strings.Join(want, "|") {
		t.Fatalf("fall back: got %q, want %q", gotS, want)
	}
}

func TestParseClockBadCases(t *testing.T) {
	good := map[string]int{"00:00": 0, "09:30": 570, "23:59": 1439, "24:00": 1440}
	for in, want := range good {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, err, want)
		}
		if FormatClock(want) != in {
			t.Errorf("FormatClock(%d) = %q, want %q", want, FormatClock(want), in)
		}
	}
	for _, in := range []string{"", "9:30", "09:3", "09-30", "24:01", "25:00", "09:60", "aa:bb", "09:30:00", " 9:30", "-1:00", "０９:３０", "09:3\x00", "+9:30"} {
		if _, err := ParseClock(in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseClock(%q): %v, want an invalid error", in, err)
		}
	}
}

func TestParseStartBadCases(t *testing.T) {
	if got, err := ParseStart("2026-12-07T10:00:00+01:00"); err != nil || !got.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("ParseStart: %v, %v", got, err)
	}
	for _, in := range []string{"", "2026-12-07", "2026-12-07T10:00:00", "2026-12-07 10:00:00Z", "tomorrow", "0001-01-01T00:00:00Z", "2026-13-01T00:00:00Z", strings.Repeat("9", 65), "2026-12-07T10:00:00Z\n"} {
		if _, err := ParseStart(in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseStart(%q): %v, want an invalid error", in, err)
		}
	}
}

func TestLoadZoneBadCases(t *testing.T) {
	for _, in := range []string{"UTC", "Europe/Berlin", "America/New_York"} {
		if _, err := LoadZone(in); err != nil {
			t.Errorf("LoadZone(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/Berlin ", "Europe\\Berlin", strings.Repeat("A", 65)} {
		if _, err := LoadZone(in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("LoadZone(%q): %v, want an invalid error", in, err)
		}
	}
}

func TestValidTokenBadCases(t *testing.T) {
	tok, hash := newToken()
	if !validToken(tok) || hashToken(tok) != hash {
		t.Fatalf("a fresh token %q is not valid", tok)
	}
	for _, in := range []string{"", "apt_", "apt_short", tok[:len(tok)-1], tok + "A", "xyz_" + tok[4:], tok[:10] + "+" + tok[11:], tok[:10] + "/" + tok[11:]} {
		if validToken(in) {
			t.Errorf("validToken(%q) = true", in)
		}
	}
}

// checkICS checks the shape RFC 5545 requires of every line.
func checkICS(t testing.TB, body []byte) {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatalf("ics does not end in CRLF")
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line longer than 75 octets: %q", l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line cut inside a UTF-8 character: %q", l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bare line break in %q", l)
		}
	}
}

// unfold undoes folding (RFC 5545 §3.1).
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

func TestICSEscapesAndFolds(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	ev := Event{UID: "ap_x@livemall", Stamp: start.Add(-time.Hour), Start: start, End: start.Add(30 * time.Minute),
		Summary: "Video call with Café; Rossi, \\ Söhne", Description: "Line one\nline two " + strings.Repeat("ü", 60), URL: "http://localhost/appointments/apt_x"}
	body := ICS(ev)
	checkICS(t, body)
	text := unfold(string(body))
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", "PRODID:", "BEGIN:VEVENT\r\n", "UID:ap_x@livemall\r\n",
		"DTSTART:20261207T090000Z\r\n", "DTEND:20261207T093000Z\r\n", "DTSTAMP:20261207T080000Z\r\n",
		`SUMMARY:Video call with Café\; Rossi\, \\ Söhne` + "\r\n", `DESCRIPTION:Line one\nline two ü`, "STATUS:CONFIRMED\r\n",
		"URL;VALUE=URI:http://localhost/appointments/apt_x\r\n", "END:VEVENT\r\nEND:VCALENDAR\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("ics lacks %q:\n%s", want, text)
		}
	}
	ev.Cancelled = true
	text = unfold(string(ICS(ev)))
	if !strings.Contains(text, "STATUS:CANCELLED") || !strings.Contains(text, "METHOD:CANCEL") {
		t.Errorf("a cancelled event says so: %s", text)
	}
	ev.URL = "http://x/\r\nATTENDEE:evil"
	if strings.Contains(string(ICS(ev)), "ATTENDEE") {
		t.Errorf("a URL with a line break must not inject a property")
	}
	ev.Summary = "a\r\nATTENDEE:evil\x00"
	text = string(ICS(ev))
	if strings.Contains(text, "\r\nATTENDEE") || strings.Contains(text, "\x00") {
		t.Errorf("a summary with a line break must not inject a property: %q", text)
	}
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:30", "24:00", "99:99", "", "0:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseClock(s)
		if err != nil {
			return
		}
		if m < 0 || m > 1440 || FormatClock(m) != s {
			t.Fatalf("ParseClock(%q) = %d", s, m)
		}
	})
}

func FuzzParseStart(f *testing.F) {
	for _, s := range []string{"2026-12-07T10:00:00Z", "2026-12-07T10:00:00+01:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseStart(s)
		if err == nil && tm.Location() != time.UTC {
			t.Fatalf("ParseStart(%q) not in UTC", s)
		}
	})
}

func FuzzICS(f *testing.F) {
	f.Add("Video call", "desc\nline", "ap_1")
	f.Fuzz(func(t *testing.T, summary, desc, uid string) {
		start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		body := ICS(Event{UID: uid, Stamp: start, Start: start, End: start.Add(time.Hour), Summary: summary, Description: desc})
		checkICS(t, body)
		if n := strings.Count(unfold(string(body)), "\r\nBEGIN:VEVENT\r\n"); n != 1 {
			t.Fatalf("%d events", n)
		}
		if strings.Count(string(body), "\r\nEND:VEVENT\r\n") != 1 {
			t.Fatalf("text escaped the event: %q", body)
		}
	})
}

func FuzzLoadZone(f *testing.F) {
	for _, s := range []string{"Europe/Berlin", "UTC", "../x", "Local", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := LoadZone(s)
		if err == nil && (loc == nil || loc == time.Local) {
			t.Fatalf("LoadZone(%q) = %v, want a named zone", s, loc)
		}
		if err != nil && !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("LoadZone(%q): %v is not an invalid error", s, err)
		}
	})
}

func FuzzValidToken(f *testing.F) {
	tok, _ := newToken()
	f.Add(tok)
	f.Add("apt_")
	f.Fuzz(func(t *testing.T, s string) {
		if validToken(s) && (len(s) != 47 || s[:4] != "apt_") {
			t.Fatalf("validToken(%q) accepted a token of the wrong shape", s)
		}
	})
}
