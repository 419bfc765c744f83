package appointments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// Hours is one range of an agent's weekly working hours in the store's
// local time: Weekday (0 is Sunday), Start and End in minutes from
// midnight, Start before End, End at most 1440 (midnight).
type Hours struct {
	AgentID string
	Weekday time.Weekday
	Start   int
	End     int
}

// Booked is an agent's time that is taken: a live booking.
type Booked struct {
	AgentID    string
	Start, End time.Time
}

// Slot is a bookable time: Start and End as instants, and the agents free
// for all of it (at least one), in the order of the hours given.
type Slot struct {
	Start, End time.Time
	Agents     []string
}

// SlotRules lay out the slots: the store's time zone, the slot length,
// and the window in which slots may start (From inclusive, To exclusive).
type SlotRules struct {
	Location *time.Location
	Length   time.Duration
	From, To time.Time
}

// FreeSlots lists the slots in rules' window: each working-hours range is
// cut into back-to-back slots of rules.Length from its local start (a slot
// that would run past the range's end is dropped), each agent's slot is
// free unless it overlaps a booking of theirs, and slots of several agents
// that start and end together merge into one. The result is sorted by
// start. Wall-clock times a DST change skips or repeats are laid out as
// real elapsed time: a range of 01:00–04:00 on a day that springs forward
// at 02:00 holds two hours of slots.
func FreeSlots(rules SlotRules, hours []Hours, booked []Booked) []Slot {
	if rules.Length <= 0 || !rules.From.Before(rules.To) || rules.Location == nil {
		return nil
	}
	byAgent := map[string][]Booked{}
	for _, b := range booked {
		byAgent[b.AgentID] = append(byAgent[b.AgentID], b)
	}
	type key struct{ start, end int64 }
	merged := map[key]*Slot{}
	// Days are walked in the store's zone from the day before From (a
	// range late in the evening may begin there) to the day after To.
	from := rules.From.In(rules.Location)
	day := time.Date(from.Year(), from.Month(), from.Day()-1, 0, 0, 0, 0, rules.Location)
	end := rules.To.In(rules.Location).AddDate(0, 0, 1)
	for ; day.Before(end); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, rules.Location) {
		for _, h := range hours {
			if h.Weekday != day.Weekday() || h.Start < 0 || h.End > 24*60 || h.Start >= h.End {
				continue
			}
			rangeStart := time.Date(day.Year(), day.Month(), day.Day(), 0, h.Start, 0, 0, rules.Location)
			rangeEnd := time.Date(day.Year(), day.Month(), day.Day(), 0, h.End, 0, 0, rules.Location)
			for s := rangeStart; !s.Add(rules.Length).After(rangeEnd); s = s.Add(rules.Length) {
				e := s.Add(rules.Length)
				if s.Before(rules.From) || !s.Before(rules.To) || overlaps(byAgent[h.AgentID], s, e) {
					continue
				}
				k := key{s.Unix(), e.Unix()}
				sl := merged[k]
				if sl == nil {
					sl = &Slot{Start: s.UTC(), End: e.UTC()}
					merged[k] = sl
				}
				if !slices.Contains(sl.Agents, h.AgentID) {
					sl.Agents = append(sl.Agents, h.AgentID)
				}
			}
		}
	}
	out := make([]Slot, 0, len(merged))
	for _, s := range merged {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	return out
}

// overlaps reports whether [s, e) meets any booking.
func overlaps(bs []Booked, s, e time.Time) bool {
	for _, b := range bs {
		if b.Start.Before(e) && s.Before(b.End) {
			return true
		}
	}
	return false
}

// ParseClock reads a time of day "HH:MM" (24-hour, two digits each;
// "24:00" is the end of the day) as minutes from midnight. Anything else
// is an apperr.Invalid error naming the input.
func ParseClock(s string) (int, error) {
	bad := apperr.New(apperr.Invalid, "time %q is not a time of day like 09:30", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, bad
	}
	return h*60 + m, nil
}

// FormatClock writes minutes from midnight as "HH:MM".
func FormatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// LoadZone reads an IANA time zone name such as "Europe/Berlin" or "UTC".
// Local, empty names and names that are not in the zone database are an
// apperr.Invalid error.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \\") || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, apperr.New(apperr.Invalid, "time zone %q is not a zone name like Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "time zone %q is not a zone name like Europe/Berlin", name)
	}
	return loc, nil
}
