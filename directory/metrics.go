package directory

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// callMetrics are the counters of the calls this node hosts. Each Calls
// has its own (several nodes run in one test process); Collector exports
// them.
type callMetrics struct {
	dials    prometheus.Counter
	failures *prometheus.CounterVec
	setup    prometheus.Histogram
}

// Reasons a call failed, the label of livemall_call_failures_total beside
// the error codes of refused dials (apperr codes: unauthorized, conflict,
// unavailable, …).
const (
	// failureEnded is a call that was placed and then ended as failed
	// (its media never connected, the room could not start, the node
	// shut down).
	failureEnded = "ended_failed"
)

func newCallMetrics() *callMetrics {
	m := &callMetrics{
		dials: prometheus.NewCounter(prometheus.CounterOpts{Name: "livemall_call_dials_total", Help: "Calls dialed on this node (each call.dial, placed or refused)."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livemall_call_failures_total",
			Help: "Calls that failed, by reason: the error code of a refused dial, or ended_failed for a placed call that failed."}, []string{"reason"}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "livemall_call_setup_seconds",
			Help:    "Time from dial to both sides' media connected, for answered calls (includes ringing).",
			Buckets: []float64{0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60}}),
	}
	// Every reason exported from the start at 0, so rates and ratios
	// over them work before the first failure.
	for _, r := range []string{apperr.Invalid, apperr.NotFound, apperr.Conflict, apperr.Forbidden, apperr.Unauthorized,
		apperr.RateLimited, apperr.Unavailable, apperr.Internal, failureEnded} {
		m.failures.WithLabelValues(r)
	}
	return m
}

// countDial wraps the dial handler: every dial is counted, and a refused
// one is counted as a failure under its error code.
func (m *callMetrics) countDial(h media.HandlerFunc) media.HandlerFunc {
	return func(ctx context.Context, c *media.Conn, msg media.Message) error {
		m.dials.Inc()
		err := h(ctx, c, msg)
		if err != nil {
			m.failures.WithLabelValues(apperr.Code(err)).Inc()
		}
		return err
	}
}

// ended counts a placed call's end.
func (m *callMetrics) ended(outcome string) {
	if outcome == outcomeFailed {
		m.failures.WithLabelValues(failureEnded).Inc()
	}
}

// awaitConnected observes the set-up time once both participants' media
// are connected; it gives up when the call ends first.
func (m *callMetrics) awaitConnected(ctx context.Context, dialed time.Time, a, b *media.Participant) {
	for _, p := range []*media.Participant{a, b} {
		select {
		case <-p.Connected():
		case <-ctx.Done():
			return
		}
	}
	m.setup.Observe(time.Since(dialed).Seconds())
}

// Collector exports the calls of this node: livemall_calls_active (calls
// whose room this node hosts), livemall_call_dials_total,
// livemall_call_failures_total{reason} and livemall_call_setup_seconds.
func (c *Calls) Collector() prometheus.Collector {
	return media.Collectors{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livemall_calls_active", Help: "Calls whose room this node hosts (ringing, connected or in the mailbox)."},
			func() float64 { return float64(c.ActiveCalls()) }),
		c.metrics.dials, c.metrics.failures, c.metrics.setup,
	}
}
