package keys

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/scheduler"
	"github.com/casebridge/casebridge/internal/vault"
)

// startScheduler starts a scheduler named id on the test's database, with
// Manager m's rotation worker when m is not nil, stopped when the test
// ends (before m closes).
func (e *env) startScheduler(id string, m *Manager, more func(*scheduler.Scheduler)) *scheduler.Scheduler {
	e.t.Helper()
	return e.startSchedulerWith(scheduler.Options{ID: id, PollInterval: 100 * time.Millisecond}, m, more)
}

func (e *env) startSchedulerWith(opts scheduler.Options, m *Manager, more func(*scheduler.Scheduler)) *scheduler.Scheduler {
	e.t.Helper()
	s := scheduler.New(e.pool, nil, opts)
	if m != nil {
		m.UseScheduler(s)
	}
	if more != nil {
		more(s)
	}
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(s.Stop)
	return s
}

// rotationJobs returns the states of the rotation's jobs, oldest first.
func (e *env) rotationJobs(id string) []string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT state::text FROM river_job
		WHERE kind = $1 AND args->>'rotation_id' = $2 ORDER BY id`, scheduler.KindKeyRotation, id)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		states = append(states, s)
	}
	return states
}

// TestRotationJobRunsOnceAcrossReplicas: two replicas, each a Manager with
// its own scheduler on one database, both hear the rotation start and both
// enqueue it; it is one job, worked in slices that hand over between the
// replicas, never by both at once, and it finishes once.
func TestRotationJobRunsOnceAcrossReplicas(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(300, "shelter-a")
	oldKey := e.activeKeyID("shelter-a")

	var inside, most, slices atomic.Int64
	enter := func(d int) {
		n := inside.Add(int64(d))
		if d > 0 {
			slices.Add(1)
		}
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
	}
	var managers []*Manager
	for i, name := range []string{"replica-a", "replica-b"} {
		m := e.m
		if i > 0 {
			m = e.newManager(e.loadKeyring(e.keyDir), nil)
		}
		m.batchSize = 25
		m.jobSlice = 30 * time.Millisecond
		m.inJob = enter
		m.afterBatch = func() { time.Sleep(10 * time.Millisecond) }
		e.startScheduler(name, m, nil)
		if _, err := m.ResumeRotations(e.ctx); err != nil {
			t.Fatal(err)
		}
		managers = append(managers, m)
	}
	rot, err := managers[0].StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	final := e.waitRotation(managers[1], "shelter-a", rot.ID)
	if final.State != RotationDone || final.Done != 300 {
		t.Fatalf("rotation ended as %+v", final)
	}
	// Let any late duplicate run, were there one.
	time.Sleep(500 * time.Millisecond)
	if got := most.Load(); got != 1 {
		t.Errorf("%d jobs worked on the rotation at once, want 1", got)
	}
	if slices.Load() < 2 {
		t.Errorf("the rotation was worked in %d slice(s); the test wants it handed over", slices.Load())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		jobs := e.rotationJobs(rot.ID)
		if len(jobs) == 1 && jobs[0] == "completed" {
			break
		}
		if len(jobs) != 1 || time.Now().After(deadline) {
			t.Fatalf("rotation jobs %v, want one completed", jobs)
		}
	}
	if n := e.countKeys("key_id = $1", oldKey); n != 0 {
		t.Errorf("%d case keys still wrapped to the retired key", n)
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, managers[1], c); err != nil {
			t.Fatalf("case %s after the rotation: %v", c.id, err)
		}
	}
}

// deadWorker stands for a replica killed mid-rotation: it takes the job
// (River marks it running), tells the test, and never returns until the
// test lets it, holding no lock, as a dead process holds none.
type deadWorker struct {
	river.WorkerDefaults[scheduler.KeyRotationArgs]
	took    chan int64
	release chan struct{}
}

func (w *deadWorker) Work(_ context.Context, job *river.Job[scheduler.KeyRotationArgs]) error {
	w.took <- job.ID
	<-w.release
	return nil
}

func (w *deadWorker) Timeout(*river.Job[scheduler.KeyRotationArgs]) time.Duration { return -1 }

// TestRotationJobOfADeadReplicaIsTakenOver: a rotation half done, whose
// job a killed replica left "running" (so its unique key refuses a new
// one), is finished by the next server's start-up check within seconds,
// not when River's rescuer frees the job.
func TestRotationJobOfADeadReplicaIsTakenOver(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(300, "shelter-a")

	// A first server stops after one batch, leaving the rotation running.
	e.m.batchSize = 100
	e.m.afterBatch = e.m.cancel
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	e.m.Wait()
	if r, err := e.m.GetRotation(e.ctx, "shelter-a", rot.ID); err != nil || r.State != RotationRunning || r.Done != 100 {
		t.Fatalf("after one batch: %+v, %v", r, err)
	}
	e.m.Close()

	// Its job was taken by a replica that then died.
	dead := &deadWorker{took: make(chan int64, 1), release: make(chan struct{})}
	// One worker, busy with that job: a dead replica takes no other.
	ds := e.startSchedulerWith(scheduler.Options{ID: "dead", PollInterval: 100 * time.Millisecond, MaxWorkers: 1},
		nil, func(s *scheduler.Scheduler) { scheduler.Handle(s, dead) })
	t.Cleanup(func() { close(dead.release) }) // before ds stops (cleanups run last first)
	if err := ds.Insert(e.ctx, e.pool, scheduler.KeyRotationArgs{RotationID: rot.ID}, scheduler.Unique); err != nil {
		t.Fatal(err)
	}
	var orphan int64
	select {
	case orphan = <-dead.took:
	case <-time.After(15 * time.Second):
		t.Fatal("the job was never taken")
	}

	// The next server resumes the rotation and finishes it.
	start := time.Now()
	m := e.newManager(e.loadKeyring(e.keyDir), vault.NewKeyCache(100, time.Hour))
	e.startScheduler("next", m, nil)
	if n, err := m.ResumeRotations(e.ctx); err != nil || n != 1 {
		t.Fatalf("ResumeRotations = %d, %v", n, err)
	}
	final := e.waitRotation(m, "shelter-a", rot.ID)
	if final.State != RotationDone || final.Done != 300 {
		t.Fatalf("rotation ended as %+v", final)
	}
	if took := time.Since(start); took > scheduler.RescueStuckJobsAfter/2 {
		t.Errorf("the rotation took %s to finish after the restart", took)
	}
	var takeovers int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM river_job WHERE kind = $1
		AND args->>'rotation_id' = $2 AND (args->>'orphan_job_id')::bigint = $3`,
		scheduler.KindKeyRotation, rot.ID, orphan).Scan(&takeovers); err != nil {
		t.Fatal(err)
	}
	if takeovers != 1 {
		t.Errorf("%d jobs took over from the dead replica's, want 1", takeovers)
	}
	// River records the takeover's completion a moment after it returns.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		jobs := e.rotationJobs(rot.ID)
		if len(jobs) == 2 && jobs[1] == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotation jobs %v, want the orphan and one completed takeover", jobs)
		}
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, m, c); err != nil {
			t.Fatalf("case %s after the rotation: %v", c.id, err)
		}
	}
}

// lateLockWorker is a live replica's rotation job that River has marked
// running but that has not taken the rotation's lock yet: it tells the
// test, waits until the test lets it go on, then works as any job does.
type lateLockWorker struct {
	river.WorkerDefaults[scheduler.KeyRotationArgs]
	rotationWorker
	took chan int64
	goOn chan struct{}
}

func (w *lateLockWorker) Work(ctx context.Context, job *river.Job[scheduler.KeyRotationArgs]) error {
	w.took <- job.ID
	<-w.goOn
	return w.rotationWorker.Work(ctx, job)
}

func (w *lateLockWorker) Timeout(job *river.Job[scheduler.KeyRotationArgs]) time.Duration {
	return w.rotationWorker.Timeout(job)
}

// TestLiveRotationJobIsNotTakenOverBeforeItLocks: a rotation notice heard
// by another server while a live job is running but has not yet taken the
// rotation's lock does not make that server take the job for a dead
// replica's (which left two jobs working the rotation in turn, and two
// completed).
func TestLiveRotationJobIsNotTakenOverBeforeItLocks(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(100, "shelter-a")

	w := &lateLockWorker{rotationWorker: rotationWorker{keys: e.m}, took: make(chan int64, 1), goOn: make(chan struct{})}
	var goOnce atomic.Bool
	goOn := func() {
		if goOnce.CompareAndSwap(false, true) {
			close(w.goOn)
		}
	}
	ls := e.startSchedulerWith(scheduler.Options{ID: "live", PollInterval: 100 * time.Millisecond, MaxWorkers: 1},
		nil, func(s *scheduler.Scheduler) { scheduler.Handle(s, w) })
	t.Cleanup(goOn) // before ls stops
	e.m.SetDispatcher(func(ctx context.Context, q db.Querier, id string) error {
		return ls.Insert(ctx, q, scheduler.KeyRotationArgs{RotationID: id}, scheduler.Unique)
	})
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.took:
	case <-time.After(15 * time.Second):
		t.Fatal("the job was never taken")
	}

	// Another server starts while the job is running, lock not yet taken.
	m := e.newManager(e.loadKeyring(e.keyDir), nil)
	e.startScheduler("other", m, nil)
	if n, err := m.ResumeRotations(e.ctx); err != nil || n != 1 {
		t.Fatalf("ResumeRotations = %d, %v", n, err)
	}
	time.Sleep(orphanGrace / 3)
	goOn()

	final := e.waitRotation(m, "shelter-a", rot.ID)
	if final.State != RotationDone || final.Done != 100 {
		t.Fatalf("rotation ended as %+v", final)
	}
	// Past the other server's second look at the job.
	time.Sleep(orphanGrace + time.Second)
	var takeovers int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM river_job WHERE kind = $1
		AND args->>'rotation_id' = $2 AND args ? 'orphan_job_id'`,
		scheduler.KindKeyRotation, rot.ID).Scan(&takeovers); err != nil {
		t.Fatal(err)
	}
	if takeovers != 0 {
		t.Errorf("%d jobs took over from a live job, want 0", takeovers)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		jobs := e.rotationJobs(rot.ID)
		if len(jobs) == 1 && jobs[0] == "completed" {
			break
		}
		if len(jobs) != 1 || time.Now().After(deadline) {
			t.Fatalf("rotation jobs %v, want one completed", jobs)
		}
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, m, c); err != nil {
			t.Fatalf("case %s after the rotation: %v", c.id, err)
		}
	}
}
