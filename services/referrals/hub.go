package referrals

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/sharing"
)

// Poll intervals of a watcher that was not woken: short while the hub
// cannot hear notifications, long (a safety net only) while it can.
const (
	pollWhileDeaf      = time.Second
	pollWhileListening = 30 * time.Second
)

// hub wakes watchers when referral events for their organisations commit.
// One connection per server LISTENs on sharing.Channel, started with the
// first watcher; each notification names an organisation and wakes its
// watchers, which then read the outbox table. The table, not the
// notification, is what a watcher streams: a lost wake-up costs latency,
// never an event, because watchers poll while the hub is deaf and are all
// woken whenever it starts listening again.
type hub struct {
	ctx  context.Context
	pool *pgxpool.Pool
	log  *slog.Logger

	start sync.Once
	up    atomic.Bool

	mu   sync.Mutex
	subs map[*subscription]struct{}
}

// subscription is one watcher's interest in some organisations' events.
type subscription struct {
	hub  *hub
	orgs []string
	wake chan struct{}
}

func newHub(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) *hub {
	return &hub{ctx: ctx, pool: pool, log: log, subs: map[*subscription]struct{}{}}
}

// subscribe registers a watcher of orgs. Subscribe before reading the
// outbox, so that no event can commit unnoticed between the read and the wait.
func (h *hub) subscribe(orgs []string) *subscription {
	h.start.Do(func() { go h.run() })
	s := &subscription{hub: h, orgs: orgs, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (s *subscription) close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
}

// wait blocks until the watcher is woken or should look anyway (poll), and
// fails when the call or the server ends. A call ended by the server's
// interceptors (the caller's token expired, their roles changed) fails
// with their cause, so the audit records why.
func (s *subscription) wait(ctx context.Context) error {
	poll := pollWhileListening
	if !s.hub.up.Load() {
		poll = pollWhileDeaf
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.hub.ctx.Done():
		return errShuttingDown
	case <-s.wake:
	case <-t.C:
	}
	return nil
}

// notify wakes the watchers of org, or every watcher when org is empty.
// A watcher already woken stays woken once: wake-ups coalesce.
func (h *hub) notify(org string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if org == "" || slices.Contains(s.orgs, org) {
			select {
			case s.wake <- struct{}{}:
			default:
			}
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
		for {
			n, err := conn.WaitForNotification(h.ctx)
			if err != nil {
				if h.ctx.Err() == nil {
					h.log.Warn("referral event notifications interrupted; watchers poll meanwhile", "error", err)
				}
				break
			}
			h.notify(n.Payload)
		}
		h.up.Store(false)
		closeConn(conn)
	}
}

// listen takes a connection out of the pool for good and listens on it.
func (h *hub) listen() (*pgx.Conn, error) {
	pc, err := h.pool.Acquire(h.ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	if _, err := conn.Exec(h.ctx, "LISTEN "+sharing.Channel); err != nil {
		closeConn(conn)
		return nil, err
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
