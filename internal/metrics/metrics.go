// Package metrics builds Signet's Prometheus collectors on a registry that
// app.New passes in (never the global default registry), served on the
// admin port at /admin/metrics/prometheus.
//
// So far it carries build information, the Go runtime collectors and the
// database round-trip counter that the load generator reads; request and
// flow metrics join it with the production-operations issue.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deps are the values the collectors read.
type Deps struct {
	Version string
	// Queries returns the number of database statements issued so far.
	Queries func() uint64
}

// New registers Signet's collectors on reg and returns the scrape handler.
func New(reg *prometheus.Registry, d Deps) (http.Handler, error) {
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "signet_build_info",
			Help:        "Always 1; the version label names the running build.",
			ConstLabels: prometheus.Labels{"version": d.Version},
		}, func() float64 { return 1 }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "signet_db_queries_total",
			Help: "Database statements issued (queries and executions), for round trips per request.",
		}, func() float64 { return float64(d.Queries()) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}
