package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector reads the database pool's sql.DBStats once per scrape.
// These are the numbers that explain latency under load: requests waiting
// for a connection (wait count and duration grow) before the database
// itself is busy.
type poolCollector struct {
	stats func() sql.DBStats
}

var (
	poolMaxOpen = prometheus.NewDesc("signet_db_pool_max_open_connections",
		"The connection pool's size limit.", nil, nil)
	poolOpen = prometheus.NewDesc("signet_db_pool_open_connections",
		"Connections open, in use or idle.", nil, nil)
	poolInUse = prometheus.NewDesc("signet_db_pool_in_use_connections",
		"Connections running a statement or holding a transaction.", nil, nil)
	poolIdle = prometheus.NewDesc("signet_db_pool_idle_connections",
		"Open connections waiting for work.", nil, nil)
	poolWaits = prometheus.NewDesc("signet_db_pool_wait_count_total",
		"Times a statement waited for a free connection because the pool was full.", nil, nil)
	poolWaited = prometheus.NewDesc("signet_db_pool_wait_duration_seconds_total",
		"Total time statements waited for a free connection.", nil, nil)
	poolClosed = prometheus.NewDesc("signet_db_pool_closed_total",
		"Connections the pool closed, by reason: max_idle (too many idle), max_idle_time, max_lifetime.",
		[]string{"reason"}, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMaxOpen, poolOpen, poolInUse, poolIdle, poolWaits, poolWaited, poolClosed} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.stats()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(poolMaxOpen, s.MaxOpenConnections)
	gauge(poolOpen, s.OpenConnections)
	gauge(poolInUse, s.InUse)
	gauge(poolIdle, s.Idle)
	counter(poolWaits, float64(s.WaitCount))
	counter(poolWaited, s.WaitDuration.Seconds())
	counter(poolClosed, float64(s.MaxIdleClosed), "max_idle")
	counter(poolClosed, float64(s.MaxIdleTimeClosed), "max_idle_time")
	counter(poolClosed, float64(s.MaxLifetimeClosed), "max_lifetime")
}
