package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// report is one scenario's result: figures in the order they were added,
// printed as a table and as one JSON object.
type report struct {
	Scenario string
	keys     []string
	values   map[string]any
	units    map[string]string
	notes    []string
}

func newReport(scenario string) *report {
	r := &report{Scenario: scenario, values: map[string]any{}, units: map[string]string{}}
	r.set("scenario", scenario, "")
	r.set("machine", machine(), "")
	return r
}

// set records a figure; floats are rounded to 4 significant digits.
func (r *report) set(key string, v any, unit string) {
	if f, ok := v.(float64); ok {
		v = round4(f)
	}
	if _, ok := r.values[key]; !ok {
		r.keys = append(r.keys, key)
	}
	r.values[key] = v
	r.units[key] = unit
}

// note adds a remark (a skipped ceiling, a target missed) to the output.
func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// num returns a numeric figure, or 0.
func (r *report) num(key string) float64 {
	switch v := r.values[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return 0
}

// target records whether a figure meets its target.
func (r *report) target(name string, met bool, format string, args ...any) {
	verdict := "MET"
	if !met {
		verdict = "NOT MET"
	}
	r.set("target_"+name, verdict+": "+fmt.Sprintf(format, args...), "")
}

// JSON returns the report as one JSON object.
func (r *report) JSON() []byte {
	out := make(map[string]any, len(r.values)+1)
	for k, v := range r.values {
		out[k] = v
	}
	if len(r.notes) > 0 {
		out["notes"] = r.notes
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	return []byte(strings.TrimSpace(b.String()))
}

// print writes the table, then the JSON object on one line.
func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "== %s\n", r.Scenario)
	for _, k := range r.keys {
		if k == "scenario" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\n", k, r.values[k], r.units[k])
	}
	tw.Flush()
	for _, n := range r.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "%s\n", r.JSON())
}

func round4(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	d := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(f))))
	return math.Round(f*d) / d
}

// machine describes the host: cores, memory, CPU model.
func machine() string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(line[strings.IndexByte(line, ':')+1:])
				break
			}
		}
	}
	mem := "?"
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(raw), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d cores, %s, %s", runtime.NumCPU(), mem, model)
}

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// pct returns the p-th percentile (0–100) in milliseconds.
func (l *latencies) pct(p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i]) / float64(time.Millisecond)
}

// setLatency records count, p50 and p99 of l under prefix.
func (r *report) setLatency(prefix string, l *latencies) {
	r.set(prefix+"_samples", l.count(), "")
	r.set(prefix+"_p50_ms", l.pct(50), "ms")
	r.set(prefix+"_p99_ms", l.pct(99), "ms")
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// micros is d per n operations in microseconds.
func micros(d time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(n)
}
