package appointments

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is what an .ics file says about an appointment.
type Event struct {
	UID         string
	Stamp       time.Time
	Start, End  time.Time
	Summary     string
	Description string
	URL         string
	Cancelled   bool
	Sequence    int
}

// ICS writes ev as an iCalendar file (RFC 5545): one VEVENT in a
// VCALENDAR, times in UTC, text escaped (§3.3.11), lines folded at 75
// octets without splitting a UTF-8 character (§3.1), CRLF line ends.
func ICS(ev Event) []byte {
	var b strings.Builder
	line := func(name, value string) { fold(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//livemall//appointments//EN")
	line("CALSCALE", "GREGORIAN")
	if ev.Cancelled {
		line("METHOD", "CANCEL")
	} else {
		line("METHOD", "PUBLISH")
	}
	line("BEGIN", "VEVENT")
	line("UID", escapeText(ev.UID))
	line("DTSTAMP", icsTime(ev.Stamp))
	line("DTSTART", icsTime(ev.Start))
	line("DTEND", icsTime(ev.End))
	line("SEQUENCE", strconv.Itoa(max(ev.Sequence, 0)))
	line("SUMMARY", escapeText(ev.Summary))
	if ev.Description != "" {
		line("DESCRIPTION", escapeText(ev.Description))
	}
	if ev.URL != "" && !strings.ContainsAny(ev.URL, "\r\n\"") {
		line("URL;VALUE=URI", ev.URL)
	}
	if ev.Cancelled {
		line("STATUS", "CANCELLED")
	} else {
		line("STATUS", "CONFIRMED")
	}
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// icsTime is a UTC date-time in iCalendar's basic format.
func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes an iCalendar TEXT value: backslash, semicolon and
// comma get a backslash, line breaks become \n, other control characters
// are dropped.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// control characters are not allowed in TEXT
		case r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold writes one content line, folded so that no line exceeds 75 octets:
// continuation lines begin with a space, and a cut never falls inside a
// UTF-8 sequence.
func fold(b *strings.Builder, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
}
