// Package metrics builds Signet's Prometheus collectors on a registry that
// app.New passes in (never the global default registry), served on the
// admin port at /admin/metrics/prometheus.
//
// It sits beside oidc in the import order: the protocol packages report
// through oauth2.Observer and the middleware through httpx.Observer, both
// small interfaces that Metrics implements, so no protocol package imports
// Prometheus. docs/observability.md lists every metric and what to alert
// on.
package metrics

import (
	"database/sql"
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
	// Pool reports the database connection pool at each scrape.
	Pool func() sql.DBStats
	// GrantTypes are the token endpoint's grant types. Their token
	// counters (and "implicit"'s) exist from the start at zero, so that a
	// rate over them is 0 rather than absent before the first token.
	GrantTypes []string
}

// Metrics holds the collectors Signet updates while serving.
type Metrics struct {
	handler  http.Handler
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	tokens   tokenCounters
	flows    flowCounters
}

// New registers Signet's collectors on reg.
func New(reg *prometheus.Registry, d Deps) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by API (public, admin), route pattern, method and status code.",
		}, []string{"api", "route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from receiving a request to its handler returning, by API, route pattern and method.",
			Buckets: durationBuckets(),
		}, []string{"api", "route", "method"}),
	}
	tokens, tokenVec := newTokenCounters(d.GrantTypes)
	flows, flowVec := newFlowCounters()
	m.tokens, m.flows = tokens, flows
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
		m.requests, m.duration, tokenVec, flowVec,
	}
	if d.Pool != nil {
		cs = append(cs, poolCollector{stats: d.Pool})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m, nil
}

// Handler serves the scrape endpoint.
func (m *Metrics) Handler() http.Handler { return m.handler }

// durationBuckets reach below Prometheus' default 5ms: most Signet
// requests (introspection, discovery, a cached client's token) finish in
// a millisecond or two, and the default buckets would put them all in one.
func durationBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}
