package agentdesk

import (
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// MaxReportDays is the longest span of days a report may cover: a year,
// leap day included.
const MaxReportDays = 366

// ReportRange is a span of whole days of a store, from the first day's
// midnight to the midnight after the last day, in the store's time zone.
type ReportRange struct {
	// Preset is how it was asked for: "today", "7d", "30d" or "custom".
	Preset string `json:"preset"`
	// First and Last are the first and last day, as YYYY-MM-DD.
	First string `json:"from"`
	Last  string `json:"to"`
	// TimeZone names the store's time zone.
	TimeZone string `json:"timeZone"`
	// Start and End are the span's instants: Start is in, End is not.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	loc   *time.Location
}

// Days returns the start of each day of the range, in order.
func (r ReportRange) Days() []time.Time {
	var out []time.Time
	for d := r.Start; d.Before(r.End); d = nextDay(d, r.loc) {
		out = append(out, d)
	}
	return out
}

// dayOf returns the index of the day of the range holding t, or -1.
func (r ReportRange) dayOf(t time.Time, days []time.Time) int {
	if t.Before(r.Start) || !t.Before(r.End) {
		return -1
	}
	lo, hi := 0, len(days)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if days[mid].After(t) {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	return lo
}

// nextDay is the midnight after the day starting at d, in loc; days are
// 23 or 25 hours long across a change of clocks.
func nextDay(d time.Time, loc *time.Location) time.Time {
	l := d.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// ParseReportRange reads the range a report is asked for: preset is
// "today", "7d" or "30d" (the last days up to and including today) or
// "custom" with from and to as YYYY-MM-DD, both included; an empty preset
// means "custom" when from or to is given, else "today". Days are the
// store's, in loc; now says which day is today. A malformed or reversed
// range, or one longer than MaxReportDays, is Invalid.
func ParseReportRange(preset, from, to string, now time.Time, loc *time.Location) (ReportRange, error) {
	if loc == nil {
		loc = time.UTC
	}
	if preset == "" {
		preset = "today"
		if from != "" || to != "" {
			preset = "custom"
		}
	}
	today := now.In(loc)
	last := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	var first time.Time
	switch preset {
	case "today", "7d", "30d":
		if from != "" || to != "" {
			return ReportRange{}, apperr.New(apperr.Invalid, "the range %q takes no from or to: ask for range=custom", preset)
		}
		n := map[string]int{"today": 1, "7d": 7, "30d": 30}[preset]
		first = time.Date(last.Year(), last.Month(), last.Day()-(n-1), 0, 0, 0, 0, loc)
	case "custom":
		if from == "" || to == "" {
			return ReportRange{}, apperr.New(apperr.Invalid, "a custom range needs both from and to, as YYYY-MM-DD")
		}
		var err error
		if first, err = parseDay(from, "from", loc); err != nil {
			return ReportRange{}, err
		}
		if last, err = parseDay(to, "to", loc); err != nil {
			return ReportRange{}, err
		}
		if last.Before(first) {
			return ReportRange{}, apperr.New(apperr.Invalid, "the range ends (%s) before it starts (%s)", to, from)
		}
	default:
		return ReportRange{}, apperr.New(apperr.Invalid, "range must be today, 7d, 30d or custom; not %.20q", preset)
	}
	// Counted in calendar days, so a change of clocks changes nothing.
	days := int(time.Date(last.Year(), last.Month(), last.Day(), 12, 0, 0, 0, time.UTC).Sub(time.Date(first.Year(), first.Month(), first.Day(), 12, 0, 0, 0, time.UTC)).Hours()/24) + 1
	if days > MaxReportDays {
		return ReportRange{}, apperr.New(apperr.Invalid, "the range covers %d days: at most %d", days, MaxReportDays)
	}
	return ReportRange{Preset: preset, First: first.Format(time.DateOnly), Last: last.Format(time.DateOnly), TimeZone: loc.String(),
		Start: first.UTC(), End: nextDay(last, loc).UTC(), loc: loc}, nil
}

// parseDay reads a YYYY-MM-DD day in loc; years before 2000 or after 2999
// are refused (no store sold then, and the arithmetic stays small).
func parseDay(s, name string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil || len(s) != len(time.DateOnly) {
		return time.Time{}, apperr.New(apperr.Invalid, "%s must be a day as YYYY-MM-DD, not %.20q", name, s)
	}
	if d.Year() < 2000 || d.Year() > 2999 {
		return time.Time{}, apperr.New(apperr.Invalid, "%s must be a day between the years 2000 and 2999, not %s", name, s)
	}
	return d, nil
}
