package agentdesk

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/media"
)

// queueMetrics are the routing counters of this node's queue; the waiting
// shoppers per store are livemall_queue_length (the live view's
// Collector, read from the database every node shares).
type queueMetrics struct {
	toRing prometheus.Histogram
	offers prometheus.Counter
}

func newQueueMetrics() *queueMetrics {
	return &queueMetrics{
		toRing: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "livemall_queue_wait_to_ring_seconds",
			Help:    "Time from a shopper joining a store's queue to an agent's desk ringing for them (each offer, routed on this node).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600}}),
		offers: prometheus.NewCounter(prometheus.CounterOpts{Name: "livemall_queue_offers_total", Help: "Shoppers offered to an agent by this node's router."}),
	}
}

// rang counts an offer delivered to an agent for a shopper who joined at
// entered.
func (m *queueMetrics) rang(entered time.Time) {
	m.offers.Inc()
	m.toRing.Observe(time.Since(entered).Seconds())
}

// Collector exports this node's routing: livemall_queue_offers_total and
// livemall_queue_wait_to_ring_seconds.
func (q *Queue) Collector() prometheus.Collector {
	return media.Collectors{q.metrics.toRing, q.metrics.offers}
}
