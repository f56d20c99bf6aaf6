package scheduler_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/scheduler"
	"github.com/casebridge/casebridge/internal/testdb"
)

// appPool connects to url as the server's role, casebridge_app, with only
// the privileges grants.sql gives it.
func appPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(t.Context(), url, func(c *pgxpool.Config) {
		c.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "SET ROLE casebridge_app")
			return err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

type countingWorker struct {
	river.WorkerDefaults[scheduler.TaskSweepArgs]
	runs *atomic.Int64
}

func (w *countingWorker) Work(context.Context, *river.Job[scheduler.TaskSweepArgs]) error {
	w.runs.Add(1)
	return nil
}

// replica starts a scheduler on its own pool as casebridge_app, with a
// periodic job of period every; it counts its runs into runs.
func replica(t *testing.T, url, id string, every time.Duration, runs *atomic.Int64) *scheduler.Scheduler {
	t.Helper()
	s := scheduler.New(appPool(t, url), nil, scheduler.Options{ID: id, PollInterval: 200 * time.Millisecond})
	scheduler.Handle(s, &countingWorker{runs: runs})
	s.Every(every, scheduler.TaskSweepArgs{})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPeriodicJobRunsOncePerPeriodAcrossReplicas: two replicas on one
// database, as the server's role, run the period's job once; when the
// leader stops and another replica takes over within the period, the job
// is not run again (unique by period), and a job enqueued by id twice
// runs once.
func TestPeriodicJobRunsOncePerPeriodAcrossReplicas(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	var runs atomic.Int64
	a := replica(t, url, "replica-a", time.Hour, &runs)
	replica(t, url, "replica-b", time.Hour, &runs)
	waitFor(t, "the first period's job", func() bool { return runs.Load() >= 1 })
	time.Sleep(1500 * time.Millisecond)
	if got := runs.Load(); got != 1 {
		t.Fatalf("two replicas ran the period's job %d times, want 1", got)
	}
	// Whichever led, a new replica and a handover run nothing more.
	a.Stop()
	replica(t, url, "replica-c", time.Hour, &runs)
	time.Sleep(2 * time.Second)
	if got := runs.Load(); got != 1 {
		t.Fatalf("after a handover the period's job ran %d times, want 1", got)
	}
}

type rotationCounter struct {
	river.WorkerDefaults[scheduler.KeyRotationArgs]
	runs    *atomic.Int64
	release chan struct{}
}

func (w *rotationCounter) Work(ctx context.Context, _ *river.Job[scheduler.KeyRotationArgs]) error {
	w.runs.Add(1)
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

// TestUniqueJobRunsOnceWhileItIsPending: the same rotation enqueued by
// several replicas while it waits or runs is one job, worked once.
func TestUniqueJobRunsOnceWhileItIsPending(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	var runs atomic.Int64
	release := make(chan struct{})
	var ss []*scheduler.Scheduler
	for _, id := range []string{"r1", "r2"} {
		s := scheduler.New(appPool(t, url), nil, scheduler.Options{ID: id, PollInterval: 200 * time.Millisecond})
		scheduler.Handle(s, &rotationCounter{runs: &runs, release: release})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		ss = append(ss, s)
	}
	args := scheduler.KeyRotationArgs{RotationID: "6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11"}
	for i := range 6 {
		s := ss[i%2]
		if err := s.Insert(t.Context(), appPool(t, url), args, scheduler.Unique); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the rotation job", func() bool { return runs.Load() >= 1 })
	for _, s := range ss {
		if err := s.Insert(t.Context(), nil, args, scheduler.Unique); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(release)
	time.Sleep(300 * time.Millisecond)
	if got := runs.Load(); got != 1 {
		t.Fatalf("the rotation job ran %d times, want 1", got)
	}
}
