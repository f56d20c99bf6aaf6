// Package db opens the PostgreSQL connection pool, applies the embedded
// schema migrations and maps database failures to the errors services return.
package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// cancelGrace is how long PostgreSQL has to honour a cancel request before
// the connection is closed instead.
const cancelGrace = 2 * time.Second

// defaultMaxConns bounds each replica's connections to PostgreSQL.
const defaultMaxConns = 24

// Open connects a pool to url and checks that the database answers. The pool
// reconnects on its own, so a PostgreSQL restart needs no server restart.
// Each of adjust, if any, may change the pool's configuration last.
func Open(ctx context.Context, url string, adjust ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: never echo it.
		return nil, fmt.Errorf("parse database url: invalid connection string")
	}
	// pgxpool's default (the number of CPUs, at least 4) queues concurrent
	// calls on a small machine; a URL's pool_max_conns still wins.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 5 * time.Second
	// A call whose context ends (its deadline, its class timeout) cancels its
	// statement in PostgreSQL too, instead of only dropping the connection
	// while the query runs on: no query outlives its RPC.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	for _, a := range adjust {
		a(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}
