package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool exports the connection pool's statistics, read at scrape time.
func (m *Metrics) Pool(name string, pool *pgxpool.Pool) {
	labels := prometheus.Labels{"pool": name}
	gauge := func(metric, help string, f func(*pgxpool.Stat) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "casebridge_db_pool_" + metric, Help: help, ConstLabels: labels},
			func() float64 { return f(pool.Stat()) })
	}
	counter := func(metric, help string, f func(*pgxpool.Stat) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "casebridge_db_pool_" + metric, Help: help, ConstLabels: labels},
			func() float64 { return f(pool.Stat()) })
	}
	m.Registry.MustRegister(
		gauge("connections_max", "Largest size of the pool.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }),
		gauge("connections_total", "Connections open now.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) }),
		gauge("connections_acquired", "Connections in use now.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }),
		gauge("connections_idle", "Idle connections now.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }),
		counter("acquires_total", "Connections acquired.", func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) }),
		counter("acquire_waits_total", "Acquisitions that had to wait for a connection.", func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) }),
		counter("acquire_wait_seconds_total", "Time spent waiting for a connection.", func(s *pgxpool.Stat) float64 { return s.EmptyAcquireWaitTime().Seconds() }),
		counter("canceled_acquires_total", "Acquisitions cancelled by their context.", func(s *pgxpool.Stat) float64 { return float64(s.CanceledAcquireCount()) }),
	)
}

// Gauge exports f's value at scrape time under name.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Counter exports f's (monotonic) value at scrape time under name.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}
