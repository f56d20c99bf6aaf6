// Package metrics is the server's Prometheus instrumentation: RPC counts and
// latencies (go-grpc-middleware's provider), the connection pool, the audit
// group commit, the key cache, key rotations and open watch streams. Labels
// are method names, status codes and fixed states only — never a case id, a
// subject, an organisation or anything a caller sent.
package metrics

import (
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
)

// Metrics owns a registry and the collectors the server feeds.
type Metrics struct {
	// Registry holds every Casebridge, Go runtime and process metric.
	Registry *prometheus.Registry
	rpc      *grpcprom.ServerMetrics
	streams  *prometheus.GaugeVec
	batches  prometheus.Histogram
	sweeps   *prometheus.CounterVec
}

// New registers the runtime, process and RPC collectors.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.rpc = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}),
	))
	m.streams = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "casebridge_open_streams",
		Help: "Server-streaming calls (WatchReferrals) open now, by method.",
	}, []string{"grpc_method"})
	m.batches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "casebridge_audit_group_commit_events",
		Help:    "Audit events written per group commit.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	m.sweeps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casebridge_consent_sweeps_total",
		Help: "Sweeps ending the sharing of lapsed consents, by result.",
	}, []string{"result"})
	for _, result := range []string{"failed", "ended_sharing", "nothing_lapsed"} {
		m.sweeps.WithLabelValues(result) // exported at zero before the first sweep
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.rpc, m.streams, m.batches, m.sweeps,
	)
	return m
}

// Interceptors count and time every call, and track open server streams.
// They belong outermost, so that they see the status the client receives.
func (m *Metrics) Interceptors() (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	rpcStream := m.rpc.StreamServerInterceptor()
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if info.IsServerStream {
			g := m.streams.WithLabelValues(info.FullMethod)
			g.Inc()
			defer g.Dec()
		}
		return rpcStream(srv, ss, info, handler)
	}
	return m.rpc.UnaryServerInterceptor(), stream
}

// InitializeMethods makes every method of srv appear with zero counts
// before its first call, so that rates and alerts work from the start.
func (m *Metrics) InitializeMethods(srv *grpc.Server) { m.rpc.InitializeMetrics(srv) }

// AuditBatch records one audit group commit of n events.
func (m *Metrics) AuditBatch(n int) { m.batches.Observe(float64(n)) }

// ConsentSweep records one sweep of lapsed consents.
func (m *Metrics) ConsentSweep(ended int, err error) {
	switch {
	case err != nil:
		m.sweeps.WithLabelValues("failed").Inc()
	case ended > 0:
		m.sweeps.WithLabelValues("ended_sharing").Inc()
	default:
		m.sweeps.WithLabelValues("nothing_lapsed").Inc()
	}
}
