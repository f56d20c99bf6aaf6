package tasks

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
)

// Channel is the PostgreSQL notification channel of task changes; the
// payload is "<organisation> <task id>" (migration 00081), nothing more.
const Channel = "casebridge_tasks"

// ListenerApplicationName is the application_name of the connection that
// hears task changes: the process's listener (db.Listener).
const ListenerApplicationName = db.ListenerApplicationName

// hub delivers task notifications to the watchers of their organisation.
// It subscribes Channel on the process's listener (db.Listener; one of its
// own when the service was given none) with the first watcher, so task
// watches cost no LISTEN connection of their own. A watch carries the
// changes heard, so a change that commits while the listener is down is
// lost: every watcher is then told so (lost), and resynchronises.
type hub struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	log      *slog.Logger
	listener *db.Listener // nil: one of its own, made with the first watcher

	start sync.Once
	sub   *db.Subscription
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

func newHub(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, l *db.Listener) *hub {
	return &hub{ctx: ctx, pool: pool, log: log, listener: l, subs: map[*watcher]struct{}{}}
}

// subscribe registers a watcher of orgs and waits until the channel is
// listened to, so that every change committed after it returns is heard.
func (h *hub) subscribe(ctx context.Context, orgs []string) (*watcher, error) {
	h.start.Do(h.listen)
	w := &watcher{orgs: orgs, ch: make(chan string, 256), lost: make(chan struct{})}
	h.mu.Lock()
	h.subs[w] = struct{}{}
	h.mu.Unlock()
	if err := h.sub.WaitUp(ctx); err != nil {
		h.unsubscribe(w)
		return nil, err
	}
	return w, nil
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

// loseAll tells every watcher that changes may have been missed.
func (h *hub) loseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.subs {
		w.once.Do(func() { close(w.lost) })
	}
}

// listen subscribes Channel on the listener. A private listener ends with
// the hub's context.
func (h *hub) listen() {
	if h.listener == nil {
		h.listener = db.NewListener(h.pool, db.ListenerOptions{HealthCheck: 10 * time.Second, MaxBackoff: 10 * time.Second, Logger: h.log})
		h.listener.Start(h.ctx)
	}
	h.sub = h.listener.Subscribe(Channel, db.Handler{
		Notify: h.deliver,
		Down: func() {
			h.loseAll()
			if h.ctx.Err() == nil {
				h.log.Warn("task change notifications interrupted; task watches end and resynchronise")
			}
		},
	})
}
