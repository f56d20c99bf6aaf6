package referrals

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/referral"
)

// Poll intervals of a feed that was not woken: short while the hub cannot
// hear notifications, long (a safety net only) while it can.
const (
	pollWhileDeaf      = time.Second
	pollWhileListening = 30 * time.Second
)

// listenerHealthCheck is how long the LISTEN connection may stay quiet
// before it is pinged: a connection that died without a word (a dropped
// network path, a failed-over database) is noticed within about twice this,
// and watchers fall back to polling meanwhile.
const listenerHealthCheck = 10 * time.Second

// ListenerApplicationName is the application_name of the connection that
// listens for referral events, so that operators can find it in
// pg_stat_activity.
const ListenerApplicationName = "casebridge-referrals-listener"

// hub wakes watchers when referral events for their organisations commit.
// One dedicated connection per server LISTENs on referral.Channel, started
// with the first watcher; each notification names an organisation and wakes
// the feeds that read it (see feed), which read the outbox table once for
// all their watchers. The table, not the notification, is what a watcher
// streams: a lost wake-up costs latency, never an event, because feeds poll
// while the hub is deaf and are all woken whenever it starts listening again.
type hub struct {
	ctx         context.Context
	pool        *pgxpool.Pool
	log         *slog.Logger
	healthCheck time.Duration

	start sync.Once
	up    atomic.Bool

	mu    sync.Mutex
	feeds map[string]*feed
}

// subscription is one watcher's place in the feed of its organisations.
type subscription struct {
	feed   *feed
	closed sync.Once
}

func newHub(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) *hub {
	return &hub{ctx: ctx, pool: pool, log: log, healthCheck: listenerHealthCheck, feeds: map[string]*feed{}}
}

// subscribe registers a watcher of orgs. Subscribe before reading the
// outbox, so that no event can commit unnoticed between the read and the wait.
func (h *hub) subscribe(orgs []string) *subscription {
	h.start.Do(func() { go h.run() })
	key, orgs := feedKey(orgs)
	h.mu.Lock()
	f := h.feeds[key]
	if f == nil {
		f = newFeed(h, key, orgs)
		h.feeds[key] = f
		go f.run()
	}
	f.refs++
	h.mu.Unlock()
	return &subscription{feed: f}
}

// close leaves the feed; the last watcher to leave stops it.
func (s *subscription) close() {
	s.closed.Do(func() {
		h := s.feed.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.feed.refs--; s.feed.refs == 0 {
			delete(h.feeds, s.feed.key)
			close(s.feed.done)
		}
	})
}

// wait blocks until changed is closed, and fails when the call or the
// server ends. A call ended by the server's interceptors (the caller's
// token expired, their roles changed) fails with their cause, so the audit
// records why.
func (s *subscription) wait(ctx context.Context, changed <-chan struct{}) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.feed.hub.ctx.Done():
		return errShuttingDown
	case <-changed:
		return nil
	}
}

// notify wakes the feeds that read org, or every feed when org is empty.
func (h *hub) notify(org string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		if org == "" || slices.Contains(f.orgs, org) {
			f.wake()
		}
	}
}

// run keeps a LISTEN connection open until the hub's context ends,
// reconnecting with backoff.
func (h *hub) run() {
	const maxBackoff = 10 * time.Second
	backoff := 100 * time.Millisecond
	for h.ctx.Err() == nil {
		conn, err := h.listen()
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Warn("listen for referral events; watchers poll meanwhile", "error", err)
				sleep(h.ctx, backoff)
				backoff = min(2*backoff, maxBackoff)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		h.up.Store(true)
		h.notify("") // events may have committed while nobody listened
		err = h.receive(conn)
		h.up.Store(false)
		h.notify("") // the feeds poll quickly from now on
		closeConn(conn)
		if h.ctx.Err() == nil {
			h.log.Warn("referral event notifications interrupted; watchers poll meanwhile", "error", err)
		}
	}
}

// receive wakes feeds for each notification until the connection fails.
// When it has been quiet for healthCheck it is pinged: PostgreSQL sends
// pending notifications before answering, so after a successful ping every
// event committed before it has woken its feeds.
func (h *hub) receive(conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(h.ctx, h.healthCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			h.notify(n.Payload)
			continue
		case h.ctx.Err() != nil:
			return h.ctx.Err()
		case !pgconn.Timeout(err):
			return fmt.Errorf("wait for notification: %w", err)
		}
		pctx, cancel := context.WithTimeout(h.ctx, h.healthCheck)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		h.drain(conn)
	}
}

// drain handles the notifications pgx buffered while the ping ran.
func (h *hub) drain(conn *pgx.Conn) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		n, _ := conn.WaitForNotification(done)
		if n == nil {
			return
		}
		h.notify(n.Payload)
	}
}

// listen opens a connection of its own (a pooled one would lose its LISTEN
// when returned to the pool) and listens on it.
func (h *hub) listen() (*pgx.Conn, error) {
	cfg := h.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ListenerApplicationName
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+referral.Channel); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("listen: %w", err)
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
