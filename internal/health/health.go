// Package health reports the server as SERVING through the standard gRPC
// health service only while PostgreSQL answers, so that load balancers and
// orchestrators stop sending traffic to a replica that cannot serve it.
package health

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Pinger is what the watcher probes; *pgxpool.Pool satisfies it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Watcher probes the database at a fixed interval and flips the health
// status of every registered service together.
type Watcher struct {
	Server   *health.Server
	DB       Pinger
	Services []string
	Interval time.Duration
	Timeout  time.Duration
	Log      *slog.Logger
}

// Run probes until ctx ends, then reports NOT_SERVING (the server is going away).
func (w *Watcher) Run(ctx context.Context) {
	interval, timeout := w.Interval, w.Timeout
	if interval <= 0 {
		interval = time.Second
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	serving := w.probe(ctx, timeout)
	w.set(serving)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			w.set(false)
			return
		case <-ticker.C:
			now := w.probe(ctx, timeout)
			if now != serving {
				w.Log.Info("database health changed", "serving", now)
				serving = now
			}
			w.set(serving)
		}
	}
}

func (w *Watcher) probe(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return w.DB.Ping(ctx) == nil
}

func (w *Watcher) set(serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	w.Server.SetServingStatus("", st)
	for _, s := range w.Services {
		w.Server.SetServingStatus(s, st)
	}
}
