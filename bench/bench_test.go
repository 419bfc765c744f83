package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/database/dbtest"
)

// TestMain lets the test binary serve as the bench's child servers, as
// the bench command does.
func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// TestScenariosSmoke runs every scenario with tiny numbers and checks that
// each reports its figures. It never checks a timing against a target:
// benchmarks print numbers, they do not fail on them.
func TestScenariosSmoke(t *testing.T) {
	tiny := func(t *testing.T) options {
		o := defaults()
		o.databaseURL = dbtest.Config(t).URL
		o.duration = time.Second
		o.workers = 4
		o.devices, o.watchers, o.flips, o.heartbeat = 20, 5, 2, time.Second
		o.callers, o.callees, o.rate, o.dials, o.answered = 2, 2, 20, 6, 1
		o.calls, o.recordings = 1, 1
		// Agents hold each call long enough that every shopper of the
		// burst is in line before the first agent is free again.
		o.agents, o.shoppers, o.rounds, o.hold = 2, 6, 2, 200*time.Millisecond
		return o
	}
	cases := []struct {
		scenario string
		positive []string
		equal    map[string]float64
	}{
		{"resolve", []string{"node_req_per_s", "node_p50_ms", "bare_const_req_per_s", "bare_driver_req_per_s", "ratio_to_bare_driver", "node_server_cpu_us_per_req"}, nil},
		{"presence", []string{"rss_per_connection_kib", "heartbeats_in_window", "online_to_all_watchers_p50_ms", "offline_to_all_watchers_p99_ms"}, nil},
		{"dial", []string{"achieved_rate", "dial_to_ring_p50_ms", "dial_to_ring_p99_ms", "dial_to_first_rtp_p50_ms"}, nil},
		{"sfu", []string{"forwarded_packets_per_s", "server_cpu_us_per_forwarded_packet", "goroutines_per_call", "relay_forwarded_packets_per_s",
			"room4_forwarded_packets_per_s", "room4_server_cpu_us_per_forwarded_packet"}, nil},
		{"record", []string{"server_cpu_pct_per_recorded_stream", "audio_packets_in_files", "video_frames_in_files"}, nil},
		{"queue", []string{"join_to_ring_p50_ms", "join_to_ring_p99_ms", "direct_dial_to_ring_p99_ms", "ratio_join_to_ring_p99_to_direct",
			"assignments_per_s", "wait_to_ring_samples", "wait_to_ring_p99_ms", "burst_dial_to_ring_p99_ms", "server_cpu_us_per_queued_call"},
			// Two rounds of one shopper alone and two of one shopper per
			// agent, each with as many plain calls; six
			// shoppers in the burst, so some agent serves two of them and
			// rings again after coming free.
			map[string]float64{"join_to_ring_samples": 4, "direct_dial_to_ring_samples": 4, "join_to_ring_alone_samples": 2,
				"direct_dial_to_ring_alone_samples": 2, "direct_failed_dials": 0,
				"shoppers_served": 6, "burst_dial_to_ring_samples": 6, "fallbacks_offered": 0}},
	}
	// The scenarios mostly wait on timers: run them all at once (go test's
	// -parallel would hold them to GOMAXPROCS at a time).
	type outcome struct {
		r   *report
		err error
	}
	results := make([]chan outcome, len(cases))
	for i, tt := range cases {
		results[i] = make(chan outcome, 1)
		o := tiny(t)
		go func() {
			r, err := runScenario(tt.scenario, o)
			results[i] <- outcome{r, err}
		}()
	}
	for i, tt := range cases {
		res := <-results[i]
		t.Run(tt.scenario, func(t *testing.T) {
			if res.err != nil {
				t.Fatalf("%s: %v", tt.scenario, res.err)
			}
			var out map[string]any
			if err := json.Unmarshal(res.r.JSON(), &out); err != nil {
				t.Fatalf("JSON output: %v", err)
			}
			if out["scenario"] != tt.scenario || out["machine"] == "" {
				t.Fatalf("output lacks scenario or machine: %s", res.r.JSON())
			}
			for _, k := range tt.positive {
				if v, ok := out[k].(float64); !ok || v <= 0 {
					t.Errorf("%s = %v, want a number > 0; output %s", k, out[k], res.r.JSON())
				}
			}
			for k, want := range tt.equal {
				if v, ok := out[k].(float64); !ok || v != want {
					t.Errorf("%s = %v, want %v; output %s", k, out[k], want, res.r.JSON())
				}
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	var l latencies
	for i := 1; i <= 100; i++ {
		l.add(time.Duration(i) * time.Millisecond)
	}
	if p := l.pct(50); p != 50 {
		t.Fatalf("p50 = %v, want 50", p)
	}
	if p := l.pct(99); p != 99 {
		t.Fatalf("p99 = %v, want 99", p)
	}
	if round4(123456) != 123500 || round4(0.012345) != 0.01235 && round4(0.012345) != 0.01234 {
		t.Fatalf("round4: %v %v", round4(123456), round4(0.012345))
	}
}

func TestProcReadsItself(t *testing.T) {
	pid := os.Getpid()
	end := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(end) {
	}
	if procRSS(pid) <= 0 {
		t.Fatal("no RSS read for this process")
	}
	if procCPU(pid) <= 0 {
		t.Fatal("no CPU time read for this process")
	}
}
