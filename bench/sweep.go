package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The sfu scenario's side-by-side sweep (`--calls 10,20,40 --livekit
// --repeat N`): for each call count, livemall, livekit-server and the
// plain UDP relay carry the same calls one after the other (each pinned
// to CPU 0 with --pin), N times interleaved; the report gives each
// server's mean and spread, the ratios livemall/LiveKit and
// livemall/relay, and a linear fit of CPU against packets forwarded.

// callCounts is the --calls flag: one count or a comma-separated list.
type callCounts struct{ o *options }

func (c callCounts) String() string {
	if c.o == nil {
		return ""
	}
	if len(c.o.callCounts) == 0 {
		return strconv.Itoa(c.o.calls)
	}
	parts := make([]string, len(c.o.callCounts))
	for i, n := range c.o.callCounts {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (c callCounts) Set(s string) error {
	counts, err := parseCallCounts(s)
	if err != nil {
		return err
	}
	c.o.callCounts, c.o.calls = counts, counts[0]
	return nil
}

// maxSweepCalls bounds one count of calls (what one machine can hold).
const maxSweepCalls = 2000

// parseCallCounts reads "10" or "10,20,40": positive counts, at most 16,
// each at most maxSweepCalls, no repeats.
func parseCallCounts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("calls: give a count or a list like 10,20,40")
	}
	fields := strings.Split(s, ",")
	if len(fields) > 16 {
		return nil, fmt.Errorf("calls: %d counts, at most 16", len(fields))
	}
	var out []int
	for _, f := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("calls: %q is not a whole number", f)
		}
		if n < 1 || n > maxSweepCalls {
			return nil, fmt.Errorf("calls: %d is out of 1…%d", n, maxSweepCalls)
		}
		for _, m := range out {
			if m == n {
				return nil, fmt.Errorf("calls: %d given twice", n)
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// stat is the mean and spread (lowest, highest) of repeated figures.
type stat struct{ mean, lo, hi float64 }

func statOf(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := stat{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, x := range xs {
		s.mean += x
		s.lo, s.hi = min(s.lo, x), max(s.hi, x)
	}
	s.mean /= float64(len(xs))
	return s
}

// linearFit fits y = a + b·x by least squares; ok is false with fewer
// than two distinct x.
func linearFit(xs, ys []float64) (a, b float64, ok bool) {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return 0, 0, false
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy = sx+xs[i], sy+ys[i]
		sxx, sxy = sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0, 0, false
	}
	b = (n*sxy - sx*sy) / d
	return (sy - b*sx) / n, b, true
}

// serverFit is what a server's points say beyond each point: the CPU an
// extra packet costs (the slope of CPU time per second against packets
// per second, in µs) and how many calls one core would carry at the
// packet rate a call had here (from the fitted line reaching one core).
type serverFit struct {
	marginalUS   float64
	fixedCores   float64
	callsPerCore float64
	ok           bool
}

func fitServer(points map[int][]sfuPoint) serverFit {
	var xs, ys, perCall []float64
	for calls, ps := range points {
		for _, p := range ps {
			if p.packetsPerS <= 0 {
				continue
			}
			xs, ys = append(xs, p.packetsPerS), append(ys, p.cores)
			perCall = append(perCall, p.packetsPerS/float64(calls))
		}
	}
	a, b, ok := linearFit(xs, ys)
	if !ok || b <= 0 {
		return serverFit{}
	}
	pps := statOf(perCall).mean
	return serverFit{marginalUS: b * 1e6, fixedCores: a, callsPerCore: (1 - a) / (b * pps), ok: true}
}

// sweepServers names the servers of the sweep, in the order each
// repetition runs them.
var sweepServers = []string{"livemall", "livekit", "relay"}

// sweepResult holds every point measured, by server and call count.
type sweepResult map[string]map[int][]sfuPoint

func (s sweepResult) add(server string, calls int, p sfuPoint) {
	if s[server] == nil {
		s[server] = map[int][]sfuPoint{}
	}
	s[server][calls] = append(s[server][calls], p)
}

// figure picks one figure of every repetition.
func figure(ps []sfuPoint, f func(sfuPoint) float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

// report writes the sweep's figures: per call count and server the mean
// and spread of each figure, the ratios of the means, then the fits.
func (s sweepResult) report(r *report, counts []int) {
	for _, calls := range counts {
		for _, srv := range sweepServers {
			ps := s[srv][calls]
			if len(ps) == 0 {
				continue
			}
			key := fmt.Sprintf("c%d_%s_", calls, srv)
			cpu := statOf(figure(ps, func(p sfuPoint) float64 { return p.cpuPerPacket }))
			r.set(key+"cpu_us_per_packet", cpu.mean, "µs")
			if len(ps) > 1 {
				r.set(key+"cpu_us_per_packet_range", fmt.Sprintf("%.1f–%.1f", cpu.lo, cpu.hi), "µs")
			}
			r.set(key+"packets_per_s", statOf(figure(ps, func(p sfuPoint) float64 { return p.packetsPerS })).mean, "pkt/s")
			if srv == "relay" {
				continue
			}
			r.set(key+"loss_pct", statOf(figure(ps, func(p sfuPoint) float64 { return p.lossPct })).mean, "%")
			r.set(key+"rss_per_participant_mib", statOf(figure(ps, func(p sfuPoint) float64 { return p.rssPerParticipantMiB })).mean, "MiB")
			if srv == "livemall" {
				r.set(key+"goroutines_per_call", statOf(figure(ps, func(p sfuPoint) float64 { return p.goroutinesPerCall })).mean, "")
			}
		}
		lms := s["livemall"][calls]
		lm := statOf(figure(lms, func(p sfuPoint) float64 { return p.cpuPerPacket })).mean
		for _, peer := range []string{"livekit", "relay"} {
			if ps := s[peer][calls]; len(ps) > 0 && len(lms) > 0 {
				r.set(fmt.Sprintf("c%d_ratio_livemall_to_%s", calls, peer), ratio(lm, statOf(figure(ps, func(p sfuPoint) float64 { return p.cpuPerPacket })).mean), "×")
			}
		}
	}
	for _, srv := range sweepServers {
		if f := fitServer(s[srv]); f.ok {
			r.set("fit_"+srv+"_marginal_us_per_packet", f.marginalUS, "µs")
			r.set("fit_"+srv+"_calls_per_core", f.callsPerCore, "calls")
		}
	}
}
