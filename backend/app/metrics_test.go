package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// scrapeURL serves node's /metrics on a loopback listener of its own, as
// --metrics-addr does, and returns its URL.
func scrapeURL(t *testing.T, node *app.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go node.ServeMetrics(ctx, ln)
	t.Cleanup(func() { cancel(); ln.Close() })
	return "http://" + ln.Addr().String() + "/metrics"
}

// scrape reads and parses the metrics at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("scrape: %s: %s", res.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// value sums a family's samples whose labels include want (name=value
// pairs): a counter's or gauge's value, a histogram's count.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, true
}

// TestMetricsCoverCallsSFUSocketsTURNAndQueue: after a real call through
// the node (a shopper's pion phone calls a store, the agent's pion phone
// answers from the queue, media flows both ways), /metrics on the metrics
// listener carries every new family with values that fit what happened:
// packets in and out, a set-up time, the queue's join-to-ring time, open
// sockets, a TURN allocation while one is held; active calls and rooms
// back to 0 after the hang-up; a refused dial counted by its reason.
func TestMetricsCoverCallsSFUSocketsTURNAndQueue(t *testing.T) {
	a := apptest.New(t, withTURN, func(c *config.Config) { c.TURNAllowPrivate = true })
	base := apptest.ServeOnLoopback(t, a)
	url := scrapeURL(t, a)

	agent := apptest.AgentOf(t, a, apptest.RoutingStore, "Mia Metrics")
	ap := apptest.NewPhone(t, agent, base)
	agentID := agent.AccountID()
	apptest.WaitFor(t, 5*time.Second, "the agent available", func() bool {
		var s string
		a.DB.Table("agent_states").Where("account_id = ?", agentID).Pluck("state", &s)
		return s == "available"
	})
	shopper := apptest.Member(t, a, "Sam Shopper")
	sp := apptest.NewPhone(t, shopper, base)
	sp.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, apptest.RoutingStore), "video": true})
	id := apptest.CallIDOf(sp.Expect("call.state", `"state":"queued"`, 5*time.Second))
	ap.Expect("call.incoming", id, 10*time.Second)
	ap.Send("call.answer", map[string]any{"callId": id})
	sp.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, sp, ap)

	// A TURN allocation held through the call.
	user, pass, _ := a.TURN.Credentials("m-metrics", time.Now())
	held := holdAllocation(t, a, user, pass)

	var fams map[string]*dto.MetricFamily
	atLeast := func(name string, min float64, labels ...string) func() bool {
		return func() bool {
			v, ok := value(fams, name, labels...)
			return ok && v >= min
		}
	}
	during := map[string]func() bool{
		"livemall_calls_active = 1":                 func() bool { v, ok := value(fams, "livemall_calls_active"); return ok && v == 1 },
		"livemall_sfu_rooms = 1":                    func() bool { v, ok := value(fams, "livemall_sfu_rooms"); return ok && v == 1 },
		"livemall_call_dials_total ≥ 1":             atLeast("livemall_call_dials_total", 1),
		"livemall_call_setup_seconds observed":      atLeast("livemall_call_setup_seconds", 1),
		"livemall_sfu_packets_in_total ≥ 100":       atLeast("livemall_sfu_packets_in_total", 100),
		"livemall_sfu_packets_out_total ≥ 100":      atLeast("livemall_sfu_packets_out_total", 100),
		"livemall_signaling_sockets ≥ 2":            atLeast("livemall_signaling_sockets", 2),
		"livemall_turn_allocations ≥ 1":             atLeast("livemall_turn_allocations", 1),
		"livemall_queue_wait_to_ring_seconds count": atLeast("livemall_queue_wait_to_ring_seconds", 1),
		"livemall_queue_offers_total ≥ 1":           atLeast("livemall_queue_offers_total", 1),
		"livemall_queue_length for the store":       atLeast("livemall_queue_length", 0, "store", apptest.RoutingStore),
		"livemall_sfu_packets_lost_total":           atLeast("livemall_sfu_packets_lost_total", 0),
		"livemall_sfu_nacks_received_total":         atLeast("livemall_sfu_nacks_received_total", 0),
		"livemall_sfu_nacks_sent_total":             atLeast("livemall_sfu_nacks_sent_total", 0),
		"livemall_http_requests_total":              atLeast("livemall_http_requests_total", 1),
		"livemall_dependency_up database and nats": func() bool {
			db, _ := value(fams, "livemall_dependency_up", "dependency", "database")
			nats, _ := value(fams, "livemall_dependency_up", "dependency", "nats")
			return db == 1 && nats == 1
		},
	}
	waitMetrics(t, url, &fams, during)
	held.Close()

	ap.Send("call.hangup", map[string]any{"callId": id})
	sp.Expect("call.state", `"state":"ended"`, 5*time.Second)
	// A refused dial: a number that is not one.
	sp.Send("call.dial", map[string]any{"number": "12"})
	sp.Expect("error", "", 5*time.Second)
	after := map[string]func() bool{
		"livemall_calls_active = 0":                    func() bool { v, ok := value(fams, "livemall_calls_active"); return ok && v == 0 },
		"livemall_sfu_rooms = 0":                       func() bool { v, ok := value(fams, "livemall_sfu_rooms"); return ok && v == 0 },
		"livemall_call_failures_total{reason=invalid}": atLeast("livemall_call_failures_total", 1, "reason", "invalid"),
		"livemall_call_dials_total ≥ 2":                atLeast("livemall_call_dials_total", 2),
		"no failure counted for the answered call":     func() bool { v, _ := value(fams, "livemall_call_failures_total"); return v == 1 },
		"livemall_turn_allocations back to 0":          func() bool { v, ok := value(fams, "livemall_turn_allocations"); return ok && v == 0 },
	}
	waitMetrics(t, url, &fams, after)
}

// waitMetrics scrapes until every check holds, failing with the ones that
// never did.
func waitMetrics(t *testing.T, url string, fams *map[string]*dto.MetricFamily, checks map[string]func() bool) {
	t.Helper()
	var failing []string
	apptest.WaitFor(t, 10*time.Second, "metrics", func() bool {
		*fams = scrape(t, url)
		failing = failing[:0]
		for name, ok := range checks {
			if !ok() {
				failing = append(failing, name)
			}
		}
		if len(failing) > 0 {
			t.Logf("not yet: %v", failing)
		}
		return len(failing) == 0
	})
}

// holdAllocation allocates a relay on a's TURN server and keeps it until
// the returned closer runs.
func holdAllocation(t *testing.T, a *app.App, user, pass string) interface{ Close() error } {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := turnClient(t, a.TURN.Addr().String(), conn, user, pass)
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	return closerFunc(func() error {
		err := relay.Close()
		c.Close()
		return err
	})
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
