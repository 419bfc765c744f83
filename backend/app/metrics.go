package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// descDependencyUp is livemall_dependency_up{dependency}: what /readyz
// checks, as a metric, so alerts see a node that is up but not ready.
var descDependencyUp = prometheus.NewDesc("livemall_dependency_up",
	"1 when the dependency (database, nats) answered a ping at scrape time, else 0; /readyz answers 503 while one is 0.",
	[]string{"dependency"}, nil)

// dependencyCollector pings the database and NATS at each scrape, as
// /readyz does.
type dependencyCollector struct{ a *App }

func (d dependencyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descDependencyUp }

func (d dependencyCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	up := func(err error) float64 {
		if err != nil {
			return 0
		}
		return 1
	}
	ch <- prometheus.MustNewConstMetric(descDependencyUp, prometheus.GaugeValue, up(d.a.DB.Ping(ctx)), "database")
	ch <- prometheus.MustNewConstMetric(descDependencyUp, prometheus.GaugeValue, up(d.a.Bus.Ping(ctx)), "nats")
}
