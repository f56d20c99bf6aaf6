package revocation_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/testdb"
)

// watched is an open stream's end, as Watch is told it.
type watched struct {
	ended chan struct{}
	calls atomic.Int32
}

func watch(t *testing.T, r *revocation.Revocations, id string) *watched {
	t.Helper()
	w := &watched{ended: make(chan struct{})}
	unwatch := r.Watch(id, time.Now().Add(time.Hour), func() {
		if w.calls.Add(1) == 1 {
			close(w.ended)
		}
	})
	t.Cleanup(unwatch)
	return w
}

func (w *watched) endsWithin(t *testing.T, what string, d time.Duration) {
	t.Helper()
	select {
	case <-w.ended:
	case <-time.After(d):
		t.Fatalf("%s: the stream is still open after %v", what, d)
	}
}

func (w *watched) open() bool {
	select {
	case <-w.ended:
		return false
	default:
		return true
	}
}

// TestOpenStreamsEndOnTheNotificationTheTableConfirms: a replica's open
// streams of a token end as soon as it hears of the token's revocation by
// another replica, and only of that token; a notification without a row
// (anyone with the database role can send one) ends nothing; a stream
// whose revocation was announced while the listener was down ends when it
// is listening again.
func TestOpenStreamsEndOnTheNotificationTheTableConfirms(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	l := db.NewListener(pool, db.ListenerOptions{ApplicationName: "casebridge-revocation-test", HealthCheck: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
	r := revocation.New(pool, l)
	t.Cleanup(r.Close)
	l.Start(ctx)
	t.Cleanup(l.Close)
	other := revocation.New(pool, nil) // another replica, which revokes
	exp := time.Now().Add(time.Hour)

	deadline := time.Now().Add(10 * time.Second)
	for !l.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("the listener never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	first, second, kept := watch(t, r, "jti-1"), watch(t, r, "jti-1"), watch(t, r, "jti-kept")
	forged := watch(t, r, "jti-forged")
	if _, err := pool.Exec(ctx, `SELECT pg_notify($1, 'jti-forged')`, revocation.Channel); err != nil {
		t.Fatal(err)
	}
	if err := other.Revoke(ctx, "jti-1", exp, nil); err != nil {
		t.Fatal(err)
	}
	// Well inside the periodic check's interval, which a listening replica
	// does not need anyway: the notification ends the streams.
	start := time.Now()
	first.endsWithin(t, "first stream of the revoked token", revocation.StreamCheckInterval/2)
	second.endsWithin(t, "second stream of the revoked token", revocation.StreamCheckInterval/2)
	t.Logf("the streams ended %v after the revocation", time.Since(start).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	if !kept.open() || !forged.open() {
		t.Fatalf("another token's stream open: %v; the forged notification's stream open: %v", kept.open(), forged.open())
	}
	if n := first.calls.Load() + second.calls.Load(); n != 2 {
		t.Errorf("end called %d times for two streams", n)
	}

	// A revocation whose notification is lost: the listener is down (its
	// backend terminated) when it is written. Up re-checks every open
	// stream against the table.
	missed := watch(t, r, "jti-missed")
	old := l.PID()
	if _, err := pool.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES ('jti-missed', $1)`, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(old)); err != nil {
		t.Fatal(err)
	}
	missed.endsWithin(t, "stream of a token revoked without a notification, after the listener came back", 3*time.Second)
	if !kept.open() || !forged.open() {
		t.Fatal("the re-check after the listener came back ended the stream of a token not revoked")
	}
	if revoked, err := r.Revoked(ctx, "jti-missed", exp); err != nil || !revoked {
		t.Fatalf("after the re-check: revoked=%v err=%v", revoked, err)
	}
}

// TestOpenStreamsAreCheckedWhileNobodyListens: without a listener to trust
// (down, or none), the tokens of open streams are checked against the table
// every StreamCheckInterval, so a revocation nobody announced still ends
// them; a token's own replica ends them in Revoke.
func TestOpenStreamsAreCheckedWhileNobodyListens(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	r := revocation.New(pool, nil)
	t.Cleanup(r.Close)
	exp := time.Now().Add(time.Hour)
	unannounced, local, kept := watch(t, r, "jti-row-only"), watch(t, r, "jti-local"), watch(t, r, "jti-kept")
	if _, err := pool.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES ('jti-row-only', $1)`, exp); err != nil {
		t.Fatal(err)
	}
	unannounced.endsWithin(t, "stream of a token revoked without a notification", 2*revocation.StreamCheckInterval+time.Second)
	if err := r.Revoke(ctx, "jti-local", exp, nil); err != nil {
		t.Fatal(err)
	}
	if local.open() {
		t.Fatal("Revoke returned with the replica's own stream of the token open")
	}
	if !kept.open() {
		t.Fatal("another token's stream ended")
	}
	if n := r.OpenStreams(); n != 1 {
		t.Errorf("%d streams watched, want 1 (the kept one)", n)
	}
}
