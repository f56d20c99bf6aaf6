package referrals

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
)

// Poll intervals of a feed that was not woken: short while the hub cannot
// hear notifications, long (a safety net only) while it can.
const (
	pollWhileDeaf      = time.Second
	pollWhileListening = 30 * time.Second
)

// ListenerApplicationName is the application_name of the connection that
// hears referral events: the process's listener (db.Listener), so that
// operators can find it in pg_stat_activity.
const ListenerApplicationName = db.ListenerApplicationName

// hub wakes watchers when referral events for their organisations commit.
// It subscribes referral.Channel on the process's listener (db.Listener; a
// listener of its own when the service was given none) with the first
// watcher; each notification names an organisation and wakes
// the feeds that read it (see feed), which read the outbox table once for
// all their watchers. The table, not the notification, is what a watcher
// streams: a lost wake-up costs latency, never an event, because feeds poll
// while the hub is deaf and are all woken whenever it starts listening again.
type hub struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	log      *slog.Logger
	listener *db.Listener // nil: one of its own, made with the first watcher

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

func newHub(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, l *db.Listener) *hub {
	return &hub{ctx: ctx, pool: pool, log: log, listener: l, feeds: map[string]*feed{}}
}

// subscribe registers a watcher of orgs. Subscribe before reading the
// outbox, so that no event can commit unnoticed between the read and the wait.
func (h *hub) subscribe(orgs []string) *subscription {
	h.start.Do(h.listen)
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

// listen subscribes referral.Channel. While it is heard each notification
// wakes the feeds of the organisation it names; when the listener is
// (again) listening every feed is woken, since events may have committed
// while nobody listened, and when it goes down every feed is woken too, to
// poll quickly from then on. A private listener ends with the hub's context.
func (h *hub) listen() {
	if h.listener == nil {
		h.listener = db.NewListener(h.pool, db.ListenerOptions{
			ApplicationName: ListenerApplicationName,
			HealthCheck:     10 * time.Second,
			MaxBackoff:      10 * time.Second,
			Logger:          h.log,
		})
		h.listener.Start(h.ctx)
	}
	h.listener.Subscribe(referral.Channel, db.Handler{
		Notify: h.notify,
		Up: func() {
			h.up.Store(true)
			h.notify("")
		},
		Down: func() {
			h.up.Store(false)
			h.notify("")
			if h.ctx.Err() == nil {
				h.log.Warn("referral event notifications interrupted; watchers poll meanwhile")
			}
		},
	})
}
