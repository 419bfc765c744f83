package main

import (
	"encoding/json"
	"flag"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseCallCounts(t *testing.T) {
	good := []struct {
		in   string
		want []int
	}{
		{"10", []int{10}},
		{"10,20,40", []int{10, 20, 40}},
		{" 5, 3 ", []int{5, 3}},
		{"2000", []int{2000}},
	}
	for _, tc := range good {
		got, err := parseCallCounts(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseCallCounts(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []string{"", " ", ",", "10,", ",10", "0", "-1", "2001", "10,10", "ten", "1.5", "10;20",
		"99999999999999999999", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "0x10", "+"}
	for _, in := range bad {
		if got, err := parseCallCounts(in); err == nil {
			t.Errorf("parseCallCounts(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseCallCounts(f *testing.F) {
	for _, s := range []string{"10", "10,20,40", "", "0", "10,10", "2001", " 7 ,8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCallCounts(s)
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > 16 {
			t.Fatalf("%q gave %d counts", s, len(got))
		}
		seen := map[int]bool{}
		for _, n := range got {
			if n < 1 || n > maxSweepCalls || seen[n] {
				t.Fatalf("%q gave %v", s, got)
			}
			seen[n] = true
		}
	})
}

// TestCallsFlagTakesAListOrOneCount: --calls 10,20,40 sweeps, --calls 5
// is one count, as before.
func TestCallsFlagTakesAListOrOneCount(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		calls  int
		counts []int
	}{
		{nil, 10, nil},
		{[]string{"--calls", "5"}, 5, []int{5}},
		{[]string{"--calls", "10,20,40", "--livekit", "--repeat", "3"}, 10, []int{10, 20, 40}},
	} {
		o := defaults()
		fs := flag.NewFlagSet("sfu", flag.ContinueOnError)
		o.bind(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if o.calls != tc.calls || !slices.Equal(o.callCounts, tc.counts) {
			t.Errorf("%v: calls %d, counts %v; want %d, %v", tc.args, o.calls, o.callCounts, tc.calls, tc.counts)
		}
	}
	o := defaults()
	fs := flag.NewFlagSet("sfu", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	o.bind(fs)
	if err := fs.Parse([]string{"--calls", "10,x"}); err == nil {
		t.Error("--calls 10,x was taken")
	}
}

func TestLinearFit(t *testing.T) {
	a, b, ok := linearFit([]float64{1000, 2000, 4000}, []float64{0.15, 0.25, 0.45})
	if !ok || math.Abs(a-0.05) > 1e-9 || math.Abs(b-0.0001) > 1e-12 {
		t.Fatalf("fit = %v + %v·x (%v), want 0.05 + 0.0001·x", a, b, ok)
	}
	if _, _, ok := linearFit([]float64{1000, 1000}, []float64{0.1, 0.2}); ok {
		t.Error("a fit through one x was made")
	}
	if _, _, ok := linearFit([]float64{1000}, []float64{0.1}); ok {
		t.Error("a fit through one point was made")
	}
}

// TestSweepReport checks the sweep's figures from points made up so that
// each figure is known: means, spreads, ratios and the fit.
func TestSweepReport(t *testing.T) {
	// Each server spends fixed + marginal·pps cores; a call carries 450
	// packets per second.
	pt := func(calls int, fixed, marginalUS, noise float64) sfuPoint {
		pps := 450 * float64(calls)
		cores := fixed + marginalUS*1e-6*pps
		return sfuPoint{packetsPerS: pps, cores: cores, cpuPerPacket: cores / pps * 1e6 * noise, lossPct: 0.01, rssPerParticipantMiB: 1.5, goroutinesPerCall: 40}
	}
	res := sweepResult{}
	for _, calls := range []int{10, 20, 40} {
		for _, noise := range []float64{0.9, 1.1} {
			res.add("livemall", calls, pt(calls, 0.02, 20, noise))
			res.add("livekit", calls, pt(calls, 0.04, 40, noise))
			res.add("relay", calls, pt(calls, 0.001, 10, noise))
		}
	}
	res.add("relay", 80, pt(80, 0.001, 10, 1)) // livemall failed at 80
	r := newReport("sfu")
	res.report(r, []int{10, 20, 40, 80})
	var out map[string]any
	if err := json.Unmarshal(r.JSON(), &out); err != nil {
		t.Fatal(err)
	}
	near := func(key string, want, tol float64) {
		t.Helper()
		got, ok := out[key].(float64)
		if !ok || math.Abs(got-want) > tol*math.Abs(want) {
			t.Errorf("%s = %v, want %v", key, out[key], want)
		}
	}
	// 20 µs marginal + 0.02 cores fixed over 9,000 packets/s.
	near("c20_livemall_cpu_us_per_packet", 0.02/9000*1e6+20, 0.001)
	near("c20_livemall_packets_per_s", 9000, 0.001)
	near("c20_livekit_rss_per_participant_mib", 1.5, 0.001)
	near("c40_livemall_goroutines_per_call", 40, 0.001)
	near("c10_ratio_livemall_to_livekit", (0.02/4500*1e6+20)/(0.04/4500*1e6+40), 0.001)
	near("c40_ratio_livemall_to_relay", (0.02/18000*1e6+20)/(0.001/18000*1e6+10), 0.001)
	near("fit_livemall_marginal_us_per_packet", 20, 0.001)
	near("fit_livekit_marginal_us_per_packet", 40, 0.001)
	// One core: (1 - 0.02) / (20e-6 · 450) calls.
	near("fit_livemall_calls_per_core", 0.98/(20e-6*450), 0.001)
	if got := out["c20_livemall_cpu_us_per_packet_range"]; got != "20.0–24.4" {
		t.Errorf("c20 livemall range = %v, want 20.0–24.4", got)
	}
	if _, ok := out["c80_ratio_livemall_to_relay"]; ok {
		t.Error("a ratio is given for a count livemall was not measured at")
	}
	if _, ok := out["c10_relay_loss_pct"]; ok {
		t.Error("the relay reports loss, which it does not measure")
	}
	if _, ok := out["c10_livekit_goroutines_per_call"]; ok {
		t.Error("LiveKit reports goroutines, which only livemall's node can")
	}
}
