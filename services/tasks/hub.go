package tasks

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the PostgreSQL notification channel of task changes; the
// payload is "<organisation> <task id>" (migration 00081), nothing more.
const Channel = "casebridge_tasks"

// ListenerApplicationName is the application_name of the connection that
// listens for task changes, for pg_stat_activity.
const ListenerApplicationName = "casebridge-tasks-listener"

// hub delivers task notifications to the watchers of their organisation.
// One connection per server LISTENs, started with the first watcher. It is
// the one place that knows how task changes are heard, so that a shared
// listener for every channel can replace it without touching the stream.
type hub struct {
	ctx  context.Context
	pool *pgxpool.Pool
	log  *slog.Logger

	start sync.Once
	mu    sync.Mutex
	subs  map[*watcher]struct{}
}

// watcher is one stream's subscription: the task ids of its organisations'
// changes, in the order heard. A slow stream drops wake-ups beyond its
// buffer rather than holding up the others; it is told so by lost.
type watcher struct {
	orgs []string
	ch   chan string
	lost chan struct{}
	once sync.Once
}

func newHub(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) *hub {
	return &hub{ctx: ctx, pool: pool, log: log, subs: map[*watcher]struct{}{}}
}

func (h *hub) subscribe(orgs []string) *watcher {
	h.start.Do(func() { go h.run() })
	w := &watcher{orgs: orgs, ch: make(chan string, 256), lost: make(chan struct{})}
	h.mu.Lock()
	h.subs[w] = struct{}{}
	h.mu.Unlock()
	return w
}

func (h *hub) unsubscribe(w *watcher) {
	h.mu.Lock()
	delete(h.subs, w)
	h.mu.Unlock()
}

func (h *hub) deliver(payload string) {
	org, id, ok := strings.Cut(payload, " ")
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.subs {
		if !slices.Contains(w.orgs, org) {
			continue
		}
		select {
		case w.ch <- id:
		default:
			w.once.Do(func() { close(w.lost) })
		}
	}
}

// run keeps a LISTEN connection open until the server stops.
func (h *hub) run() {
	backoff := 100 * time.Millisecond
	for h.ctx.Err() == nil {
		conn, err := h.listen()
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Warn("listen for task changes", "error", err)
				sleepCtx(h.ctx, backoff)
				backoff = min(2*backoff, 10*time.Second)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		err = h.receive(conn)
		closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		if h.ctx.Err() == nil {
			h.log.Warn("task change notifications interrupted", "error", err)
		}
	}
}

func (h *hub) receive(conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			h.deliver(n.Payload)
			continue
		case h.ctx.Err() != nil:
			return h.ctx.Err()
		case !pgconn.Timeout(err):
			return err
		}
		pctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}

func (h *hub) listen() (*pgx.Conn, error) {
	cfg := h.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ListenerApplicationName
	// A cancelled wait ends at once (the pool's handler first asks
	// PostgreSQL to cancel a statement, and a wait has none).
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	return conn, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
