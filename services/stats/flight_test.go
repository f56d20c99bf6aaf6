package stats_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWaiterCountsWhenTheLeaderEnds: two coordinators ask for the same
// table at once, so the second waits for the first one's count. The first
// gives up (its call is cancelled) before the count is done: the second
// must get its table, counted for itself, not the first one's end.
func TestWaiterCountsWhenTheLeaderEnds(t *testing.T) {
	env := servertest.Start(t)
	seedCases(t, env.Pool, 30, "f")
	st := client(env)
	bg := context.Background()

	// Hold the cases table so that whoever counts waits in PostgreSQL.
	lock, err := env.Pool.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(bg)
	if _, err := lock.Exec(bg, "LOCK TABLE cases IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	req := &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dSex}}
	leaderCtx, cancelLeader := context.WithCancel(env.As(t, coordinator))
	leaderDone := make(chan error, 1)
	go func() {
		_, err := st.CountCases(leaderCtx, req)
		leaderDone <- err
	}()
	waitForLockWaiters(t, env, 1)

	type result struct {
		resp *casebridgev1.CountCasesResponse
		err  error
	}
	waiterDone := make(chan result, 1)
	go func() {
		resp, err := st.CountCases(env.As(t, coordinator), req)
		waiterDone <- result{resp, err}
	}()
	// The waiter reads the population (no lock on it) and joins the
	// leader's count; give it the time to get there.
	time.Sleep(300 * time.Millisecond)
	cancelLeader()
	if err := <-leaderDone; err == nil {
		t.Fatal("the cancelled leader got an answer")
	}
	// The waiter, counting for itself, now waits on the lock in turn.
	waitForLockWaiters(t, env, 1)
	if err := lock.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-waiterDone:
		if r.err != nil {
			t.Fatalf("the waiter got the leader's end: %v", r.err)
		}
		if got := r.resp.GetTotals()[0].GetCount(); got < 30 {
			t.Fatalf("the waiter's grand total is %d, want at least 30", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiter never answered")
	}
}

// waitForLockWaiters waits until n sessions of the server wait on a lock.
func waitForLockWaiters(t *testing.T, env *servertest.Env, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		err := env.Pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait on a lock, want %d", waiting, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
