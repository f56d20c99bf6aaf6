package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ListenerApplicationName is the application_name of the process's
// listening connection by default, so that operators can find it in
// pg_stat_activity.
const ListenerApplicationName = "casebridge-listener"

// ListenerOptions tune a [Listener]. The zero value is ready to use.
type ListenerOptions struct {
	// ApplicationName names the connection in pg_stat_activity; empty
	// means ListenerApplicationName.
	ApplicationName string
	// HealthCheck is how long the connection may stay quiet before it is
	// pinged to prove it still delivers (a half-open connection delivers
	// nothing and reports no error); zero means 500ms. A subscriber that
	// trusts a cache for a window after the last proof of life should make
	// the window a few times this.
	HealthCheck time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts (with jitter); zero means 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection state changes; nil discards them.
	Logger *slog.Logger
}

// Handler is what a subscriber of a channel is told. Every function is
// optional. They are called on the listener's goroutine, one at a time and
// in the order things happened, so they must return quickly (drop an
// entry, wake a goroutine) and never wait on the database or call back
// into the Listener.
type Handler struct {
	// Notify receives the payload of each notification on the channel.
	Notify func(payload string)
	// Up is called each time the channel is listened to on a fresh
	// connection: the first time, and after every reconnection.
	// Notifications sent while nobody listened are lost, so Up is where a
	// subscriber catches up (re-reads what it follows, flushes its cache).
	Up func()
	// Down is called when the connection is lost after Up: from then on
	// notifications may be missed, until the next Up.
	Down func()
	// Alive is called whenever the listener has proved that every
	// notification committed before that moment has been delivered (one
	// arrived, or a ping was answered), and right after Up. A cache trusted
	// only for a window after the last proof then serves stale entries no
	// longer than that window after a connection fails silently.
	Alive func()
}

// Listener is the one LISTEN connection of a process. Whatever needs to
// hear PostgreSQL notifications (cache invalidations, wake-ups) subscribes a
// channel with a Handler instead of keeping a connection of its own. The
// Listener keeps one dedicated connection (a pooled one would lose its
// LISTEN when returned to the pool) listening on every subscribed channel,
// pings it whenever it has been quiet for the health check, reconnects
// with backoff when it fails, and tells subscribers when it went down and
// when it is listening again, so that they catch up.
//
// Usage, for a new kind of notification:
//
//	sub := listener.Subscribe("casebridge_tasks", db.Handler{
//		Notify: func(payload string) { wake(payload) }, // an id, a hint
//		Up:     func() { wakeAll() },                   // some may be missed: re-read
//	})
//	defer sub.Close()
//
// The server makes one Listener, starts it, and hands it to every
// subscriber; a channel may be subscribed before or after Start, by
// several subscribers. Payloads should carry ids only, and anyone holding
// the server's database role can send a notification: a subscriber treats
// one as a hint to look, never as a fact to act on.
type Listener struct {
	pool *pgxpool.Pool
	opts ListenerOptions
	log  *slog.Logger
	base time.Time

	// events serialises handler calls, so that subscribers see Up,
	// Notify, Alive and Down in the order they happened. It is taken
	// before mu when both are held.
	events sync.Mutex

	mu        sync.Mutex
	subs      map[string][]*Subscription // by channel
	listened  map[string]bool            // channels LISTENed on the current connection
	interrupt context.CancelFunc         // ends the current wait, for a new channel

	up        atomic.Bool
	lastAlive atomic.Int64 // nanoseconds since base of the last proof of life
	pid       atomic.Uint32

	startOnce sync.Once
	closeOnce sync.Once
	stop      context.CancelFunc
	done      chan struct{}
}

// Subscription is one subscriber's handler on one channel.
type Subscription struct {
	l       *Listener
	channel string
	h       Handler
	closed  atomic.Bool
	// up is whether the subscription was told Up on the current
	// connection (guarded by l.events).
	up      bool
	upOnce  sync.Once
	firstUp chan struct{} // closed at the first Up
}

// channelName is what Subscribe accepts: a plain SQL identifier, so that
// it can be spliced into LISTEN.
var channelName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// NewListener returns a listener over pool's connection settings (its own
// connection, not one of the pool's). It does nothing until Start.
func NewListener(pool *pgxpool.Pool, opts ListenerOptions) *Listener {
	if opts.ApplicationName == "" {
		opts.ApplicationName = ListenerApplicationName
	}
	if opts.HealthCheck <= 0 {
		opts.HealthCheck = 500 * time.Millisecond
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Second, opts.MinBackoff)
	}
	l := &Listener{
		pool:     pool,
		opts:     opts,
		log:      opts.Logger,
		base:     time.Now(),
		subs:     map[string][]*Subscription{},
		listened: map[string]bool{},
		done:     make(chan struct{}),
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l
}

// Subscribe adds h on channel, a lower-case SQL identifier (anything else
// panics: it is a programming error, never client input). h's Up is called
// once the channel is listened to — at once if the connection is up and
// already listens on it.
func (l *Listener) Subscribe(channel string, h Handler) *Subscription {
	if !channelName.MatchString(channel) {
		panic(fmt.Sprintf("db: listener channel %q is not a plain identifier", channel))
	}
	s := &Subscription{l: l, channel: channel, h: h, firstUp: make(chan struct{})}
	l.mu.Lock()
	l.subs[channel] = append(l.subs[channel], s)
	listening := l.listened[channel]
	interrupt := l.interrupt
	l.mu.Unlock()
	switch {
	case listening:
		l.events.Lock()
		if l.up.Load() && !s.up {
			s.markUp()
		}
		l.events.Unlock()
	case interrupt != nil:
		interrupt() // the loop LISTENs on it, then tells Up
	}
	return s
}

// WaitUp waits until the subscription was told Up once, or ctx ends
// (reporting ctx's error): for a subscriber that wants to be listening
// before it serves.
func (s *Subscription) WaitUp(ctx context.Context) error {
	select {
	case <-s.firstUp:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close removes the subscription; its handler is not called after Close
// returns. Do not call it from a handler.
func (s *Subscription) Close() {
	s.closed.Store(true)
	l := s.l
	l.events.Lock() // waits for a handler call in progress
	defer l.events.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	subs := l.subs[s.channel]
	for i, o := range subs {
		if o == s {
			l.subs[s.channel] = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
}

// markUp tells s Up (and Alive); call with l.events held.
func (s *Subscription) markUp() {
	if s.closed.Load() {
		return
	}
	s.up = true
	if s.h.Up != nil {
		s.h.Up()
	}
	if s.h.Alive != nil {
		s.h.Alive()
	}
	s.upOnce.Do(func() { close(s.firstUp) })
}

// Listening reports whether the connection is up and has proved, within
// twice the health check, that it delivers: whether notifications can be
// relied on right now. For health reports and metrics.
func (l *Listener) Listening() bool {
	return l.up.Load() && time.Duration(int64(time.Since(l.base))-l.lastAlive.Load()) < 2*l.opts.HealthCheck
}

// SinceAlive is how long ago the listener last proved that its connection
// delivers (a notification, or a health check answered). It grows while the
// database is down or the link to it is silent, and is small otherwise: the
// server fails calls in flight once it exceeds a bound (internal/server).
func (l *Listener) SinceAlive() time.Duration {
	return time.Duration(int64(time.Since(l.base)) - l.lastAlive.Load())
}

// PID is the backend process id of the listening connection, 0 while there
// is none: for operators' logs and tests.
func (l *Listener) PID() uint32 { return l.pid.Load() }

// Start runs the listener in the background until ctx ends or Close is
// called. It returns at once; an unreachable database is retried with
// backoff, and subscribers are told Up when it answers.
func (l *Listener) Start(ctx context.Context) {
	l.startOnce.Do(func() {
		ctx, l.stop = context.WithCancel(ctx)
		go l.run(ctx)
	})
}

// Close stops the listener and waits for it to finish; subscribers that
// were up are told Down.
func (l *Listener) Close() {
	l.closeOnce.Do(func() {
		started := true
		l.startOnce.Do(func() { started = false })
		if started {
			l.stop()
			<-l.done
		}
	})
}

func (l *Listener) run(ctx context.Context) {
	defer close(l.done)
	backoff := l.opts.MinBackoff
	for {
		wasUp, err := l.listenOnce(ctx)
		l.down()
		if ctx.Err() != nil {
			return
		}
		if wasUp {
			backoff = l.opts.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		l.log.Warn("notification listener down; its subscribers catch up when it is back",
			"application_name", l.opts.ApplicationName, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, l.opts.MaxBackoff)
	}
}

// down marks the connection gone and tells the subscribers that were up.
func (l *Listener) down() {
	l.events.Lock()
	defer l.events.Unlock()
	l.up.Store(false)
	l.pid.Store(0)
	l.mu.Lock()
	clear(l.listened)
	l.interrupt = nil
	subs := l.allLocked()
	l.mu.Unlock()
	for _, s := range subs {
		if s.up && !s.closed.Load() && s.h.Down != nil {
			s.h.Down()
		}
		s.up = false
	}
}

// listenOnce connects, listens and delivers notifications until the
// connection fails or ctx ends. wasUp reports whether it got to listen.
func (l *Listener) listenOnce(ctx context.Context) (wasUp bool, err error) {
	cfg := l.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = l.opts.ApplicationName
	// A wait ends by its deadline, on the connection itself: the pool's
	// cancel request (see Open) has nothing to cancel on an idle listening
	// connection and would delay every health check by its grace.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if err := l.listenNew(ctx, conn); err != nil {
		return false, err
	}
	l.pid.Store(conn.PgConn().PID())
	l.proveAlive()
	l.up.Store(true)
	l.log.Info("listening for notifications", "application_name", l.opts.ApplicationName)
	l.announceUp()

	for {
		// A channel subscribed since the last LISTEN is listened to first.
		// Otherwise Subscribe may interrupt the wait: both look under l.mu,
		// so a new channel is either seen here or interrupts the wait.
		l.mu.Lock()
		pending := l.pendingLocked()
		var wctx context.Context
		cancel := context.CancelFunc(func() {})
		if !pending {
			wctx, cancel = context.WithTimeout(ctx, l.opts.HealthCheck)
			l.interrupt = cancel
		}
		l.mu.Unlock()
		if pending {
			if err := l.listenNew(ctx, conn); err != nil {
				return true, err
			}
			l.announceUp()
			continue
		}
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			l.deliver(n)
			l.alive()
			continue
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.Canceled):
			// Interrupted by Subscribe; a wait cut short by its context
			// leaves the connection usable (it is ended by a deadline).
			continue
		case !pgconn.Timeout(err):
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		// Quiet for a while: prove the connection still works. PostgreSQL
		// sends pending notifications before answering, so after a
		// successful ping every notification committed before it has been
		// seen.
		pctx, cancel := context.WithTimeout(ctx, l.opts.HealthCheck)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return true, fmt.Errorf("health check: %w", err)
		}
		l.drain(conn)
		l.alive()
	}
}

// pendingLocked reports whether a subscribed channel is not listened to
// yet; call with l.mu held.
func (l *Listener) pendingLocked() bool {
	for ch, subs := range l.subs {
		if len(subs) > 0 && !l.listened[ch] {
			return true
		}
	}
	return false
}

// allLocked lists every subscription; call with l.mu held.
func (l *Listener) allLocked() []*Subscription {
	var out []*Subscription
	for _, ss := range l.subs {
		out = append(out, ss...)
	}
	return out
}

// listenNew LISTENs on every subscribed channel the connection does not
// listen on yet.
func (l *Listener) listenNew(ctx context.Context, conn *pgx.Conn) error {
	l.mu.Lock()
	var channels []string
	for ch, subs := range l.subs {
		if len(subs) > 0 && !l.listened[ch] {
			channels = append(channels, ch)
		}
	}
	l.mu.Unlock()
	for _, ch := range channels {
		// ch matched channelName: a plain identifier, safe to splice.
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
		l.mu.Lock()
		l.listened[ch] = true
		l.mu.Unlock()
	}
	return nil
}

// announceUp tells Up to every subscription whose channel is listened to
// and that was not told on this connection yet.
func (l *Listener) announceUp() {
	l.events.Lock()
	defer l.events.Unlock()
	l.mu.Lock()
	var subs []*Subscription
	for ch, ss := range l.subs {
		if l.listened[ch] {
			subs = append(subs, ss...)
		}
	}
	l.mu.Unlock()
	for _, s := range subs {
		if !s.up {
			s.markUp()
		}
	}
}

// deliver hands a notification to its channel's subscribers.
func (l *Listener) deliver(n *pgconn.Notification) {
	l.events.Lock()
	defer l.events.Unlock()
	l.mu.Lock()
	subs := append([]*Subscription(nil), l.subs[n.Channel]...)
	l.mu.Unlock()
	for _, s := range subs {
		if s.up && !s.closed.Load() && s.h.Notify != nil {
			s.h.Notify(n.Payload)
		}
	}
}

// alive records a proof of life and tells every subscription that is up.
func (l *Listener) alive() {
	l.proveAlive()
	l.events.Lock()
	defer l.events.Unlock()
	l.mu.Lock()
	subs := l.allLocked()
	l.mu.Unlock()
	for _, s := range subs {
		if s.up && !s.closed.Load() && s.h.Alive != nil {
			s.h.Alive()
		}
	}
}

func (l *Listener) proveAlive() { l.lastAlive.Store(int64(time.Since(l.base))) }

// drain delivers the notifications pgx buffered while a ping ran.
func (l *Listener) drain(conn *pgx.Conn) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		n, _ := conn.WaitForNotification(done)
		if n == nil {
			return
		}
		l.deliver(n)
	}
}
