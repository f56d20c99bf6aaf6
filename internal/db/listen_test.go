package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
)

// recorder is a subscriber that keeps what it was told.
type recorder struct {
	mu       sync.Mutex
	payloads []string
	ups      int
	downs    int
	alive    int
}

func (r *recorder) handler() db.Handler {
	return db.Handler{
		Notify: func(p string) { r.mu.Lock(); r.payloads = append(r.payloads, p); r.mu.Unlock() },
		Up:     func() { r.mu.Lock(); r.ups++; r.mu.Unlock() },
		Down:   func() { r.mu.Lock(); r.downs++; r.mu.Unlock() },
		Alive:  func() { r.mu.Lock(); r.alive++; r.mu.Unlock() },
	}
}

func (r *recorder) state() (payloads []string, ups, downs, alive int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.payloads...), r.ups, r.downs, r.alive
}

func (r *recorder) has(p string) bool {
	ps, _, _, _ := r.state()
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func notify(t *testing.T, pool *pgxpool.Pool, channel, payload string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		t.Fatal(err)
	}
}

func startListener(t *testing.T, pool *pgxpool.Pool) *db.Listener {
	t.Helper()
	l := db.NewListener(pool, db.ListenerOptions{ApplicationName: "casebridge-listener-test", HealthCheck: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
	l.Start(context.Background())
	t.Cleanup(l.Close)
	return l
}

// TestListenerOneConnectionForEveryChannel: channels subscribed before and
// after Start are heard on one connection; each subscriber gets its own
// channel's payloads only, is told Up once it is heard, and proofs of life
// keep coming while nothing is sent. A closed subscription hears nothing
// more.
func TestListenerOneConnectionForEveryChannel(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	var early, late, other recorder
	l := db.NewListener(pool, db.ListenerOptions{ApplicationName: "casebridge-listener-test", HealthCheck: 100 * time.Millisecond})
	subEarly := l.Subscribe("test_early", early.handler())
	l.Start(ctx)
	t.Cleanup(l.Close)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := subEarly.WaitUp(wctx); err != nil {
		t.Fatalf("early subscriber never told Up: %v", err)
	}
	subLate := l.Subscribe("test_late", late.handler())
	l.Subscribe("test_late", other.handler())
	if err := subLate.WaitUp(wctx); err != nil {
		t.Fatalf("late subscriber never told Up: %v", err)
	}

	notify(t, pool, "test_early", "e1")
	notify(t, pool, "test_late", "l1")
	eventually(t, "both channels delivered", func() bool { return early.has("e1") && late.has("l1") && other.has("l1") })
	if early.has("l1") || late.has("e1") {
		t.Fatal("a subscriber heard another channel's payload")
	}
	var conns int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'casebridge-listener-test' AND datname = current_database()`).Scan(&conns); err != nil || conns != 1 {
		t.Fatalf("%d listening connections (%v), want 1", conns, err)
	}
	if !l.Listening() || l.PID() == 0 {
		t.Fatalf("Listening %v, PID %d with the connection up", l.Listening(), l.PID())
	}
	_, _, _, before := early.state()
	time.Sleep(500 * time.Millisecond) // several health checks
	if _, _, _, after := early.state(); after <= before {
		t.Fatal("no proof of life while the channel was quiet")
	}

	subLate.Close()
	notify(t, pool, "test_late", "l2")
	eventually(t, "the remaining subscriber heard l2", func() bool { return other.has("l2") })
	if late.has("l2") {
		t.Fatal("a closed subscription still heard its channel")
	}
	if _, ups, _, _ := early.state(); ups != 1 {
		t.Fatalf("early subscriber told Up %d times without a reconnection, want 1", ups)
	}
}

// TestListenerReconnectsAndTellsSubscribers: when the listening backend is
// terminated, subscribers are told Down, the listener reconnects by itself
// and tells them Up again (so they catch up), and every channel is heard
// on the new connection.
func TestListenerReconnectsAndTellsSubscribers(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	l := startListener(t, pool)
	var a, b recorder
	sa := l.Subscribe("test_a", a.handler())
	l.Subscribe("test_b", b.handler())
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sa.WaitUp(wctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both told Up", func() bool {
		_, ua, _, _ := a.state()
		_, ub, _, _ := b.state()
		return ua == 1 && ub == 1
	})
	old := l.PID()
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(old)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reconnected on another backend and told Down then Up", func() bool {
		_, ua, da, _ := a.state()
		_, ub, dbn, _ := b.state()
		return l.PID() != 0 && l.PID() != old && l.Listening() && da == 1 && dbn == 1 && ua == 2 && ub == 2
	})
	notify(t, pool, "test_a", "after-a")
	notify(t, pool, "test_b", "after-b")
	eventually(t, "both channels heard after the reconnection", func() bool { return a.has("after-a") && b.has("after-b") })

	l.Close()
	if l.Listening() || l.PID() != 0 {
		t.Fatalf("after Close: Listening %v, PID %d", l.Listening(), l.PID())
	}
}
