package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/scheduler"
)

// How a rotation job shares out its work. A rotation of a large caseload
// takes longer than any job may run, so a job works for rotationSlice (its
// batches are each a short transaction) and then hands the rest to the
// next run of the same job (snoozed for no time, so any replica picks it
// up at once). Its Timeout stays well under the scheduler's
// RescueStuckJobsAfter: a rotation job found "running" longer than that
// belongs to a replica that died, and is rescued.
const (
	rotationSlice      = 20 * time.Second
	rotationJobTimeout = scheduler.JobTimeout
	// rotationBusyWait is how long a job waits before trying again when
	// another job holds the rotation's lock.
	rotationBusyWait = 2 * time.Second
	// rotationLockClass is the first key of the session advisory lock a
	// job holds on its rotation (the second is the hash of its id); the
	// two-key form never meets the one-key locks used elsewhere.
	rotationLockClass = 0x6b657973 // "keys"
)

// UseScheduler runs this Manager's rotations as scheduler jobs. One job per
// rotation, unique by its id, enqueued in the transaction that starts or
// extends the rotation, and again (a no-op while it is queued or running)
// at start-up, on every rotation notice and when notifications come back.
//
// A job holds a session advisory lock on its rotation while it works, so
// that two jobs never work on one rotation at once, whichever replicas
// they run on; the lock goes with the connection if the replica dies.
// Each run resumes the rotation where it stands (every batch commits its
// progress, finishing is idempotent), so a rerun of a half-done rotation
// finishes it. A replica killed mid-job leaves its job "running", which
// the unique key would keep from being enqueued again until River's
// rescuer frees it: the start-up check of the next server sees the lock
// free and enqueues a takeover job unique to that orphan (see resume).
//
// Call it before the scheduler starts and before ResumeRotations.
func (m *Manager) UseScheduler(s *scheduler.Scheduler) {
	scheduler.Handle(s, &rotationWorker{keys: m})
	m.SetDispatcher(func(ctx context.Context, q db.Querier, id string) error {
		if _, ok := q.(pgx.Tx); ok {
			return s.Insert(ctx, q, scheduler.KeyRotationArgs{RotationID: id}, scheduler.Unique)
		}
		return m.enqueueRotation(ctx, s, q, id)
	})
}

// maxOrphans bounds the chain of dead replicas' jobs enqueueRotation
// follows for one rotation.
const maxOrphans = 8

// orphanGrace is how long one attempt of a rotation job must be seen
// "running" with nobody holding the rotation's lock before it is taken for
// a dead replica's. A live job is briefly running without the lock: from
// River fetching it until it takes the lock, and from its releasing the
// lock until River records that it snoozed or completed. A server that
// heard a rotation notice in such a moment took a live job for an orphan
// and enqueued a second job for the rotation.
const orphanGrace = 3 * time.Second

// suspect is a rotation job attempt seen running without its lock.
type suspect struct {
	attemptedAt time.Time // the attempt's; another attempt is another sighting
	seen        time.Time // when it was first seen so
	recheck     bool      // a look again after orphanGrace is scheduled
}

// enqueueRotation enqueues the rotation's job; if one is "running" while
// nobody holds the rotation's lock, and still is, in the same attempt,
// orphanGrace later, its worker is gone, and a job taking over from it is
// enqueued (unique to it, so replicas starting together enqueue one), and
// so on along the takeovers that died too. A job first seen so is looked
// at again in the background after orphanGrace.
func (m *Manager) enqueueRotation(ctx context.Context, s *scheduler.Scheduler, q db.Querier, id string) error {
	var running bool
	if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM key_rotations WHERE id = $1 AND state = $2)", id, RotationRunning).Scan(&running); err != nil || !running {
		return err // a finished rotation's notice needs no job
	}
	args := scheduler.KeyRotationArgs{RotationID: id}
	for range maxOrphans {
		res, err := s.InsertJob(ctx, q, args, scheduler.Unique)
		if err != nil {
			return err
		}
		if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
			return nil
		}
		held, err := m.rotationLockHeld(ctx, id)
		if err != nil || held {
			return err
		}
		if !m.orphaned(s, id, res.Job) {
			return nil
		}
		m.log.Warn("key rotation job left running by a stopped server; taking it over",
			"rotation_id", id, "job_id", res.Job.ID)
		args.OrphanJobID = res.Job.ID
	}
	return nil
}

// orphaned reports whether job, running without the rotation's lock now,
// was seen so in the same attempt at least orphanGrace ago. If not, it
// notes the sighting and has the rotation looked at again after
// orphanGrace.
func (m *Manager) orphaned(s *scheduler.Scheduler, id string, job *rivertype.JobRow) bool {
	var at time.Time
	if job.AttemptedAt != nil {
		at = *job.AttemptedAt
	}
	now := time.Now()
	m.suspectsMu.Lock()
	defer m.suspectsMu.Unlock()
	if m.suspects == nil {
		m.suspects = make(map[int64]*suspect)
	}
	for jid, sp := range m.suspects {
		if now.Sub(sp.seen) > scheduler.RescueStuckJobsAfter && !sp.recheck {
			delete(m.suspects, jid) // rescued by River by now
		}
	}
	sp := m.suspects[job.ID]
	if sp == nil || !sp.attemptedAt.Equal(at) {
		sp = &suspect{attemptedAt: at, seen: now}
		m.suspects[job.ID] = sp
	}
	if now.Sub(sp.seen) >= orphanGrace {
		return true
	}
	if !sp.recheck && m.ctx.Err() == nil {
		sp.recheck = true
		wait := orphanGrace - now.Sub(sp.seen)
		m.listener.Add(1)
		go func() {
			defer m.listener.Done()
			ok := sleep(m.ctx, wait)
			m.suspectsMu.Lock()
			sp.recheck = false
			m.suspectsMu.Unlock()
			if !ok {
				return
			}
			if err := m.enqueueRotation(m.ctx, s, m.pool, id); err != nil && m.ctx.Err() == nil {
				m.log.Warn("enqueue key rotation", "rotation_id", id, "error", err)
			}
		}()
	}
	return false
}

// rotationLockHeld reports whether some session holds the rotation's lock.
func (m *Manager) rotationLockHeld(ctx context.Context, id string) (bool, error) {
	var held bool
	err := m.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 2
		  AND classid::bigint = $1 AND objid::bigint = (hashtext($2)::bigint & 4294967295))`,
		rotationLockClass, id).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("look for the key rotation's worker: %w", err)
	}
	return held, nil
}

type rotationWorker struct {
	river.WorkerDefaults[scheduler.KeyRotationArgs]
	keys *Manager
}

// Work takes the rotation's lock and works on it for a slice. Over (done,
// failed) is success; not over (the slice ended, the server stops) is a
// snooze of no time, which costs no attempt; another job holding the lock
// is a short snooze.
func (w *rotationWorker) Work(ctx context.Context, job *river.Job[scheduler.KeyRotationArgs]) error {
	id := job.Args.RotationID
	if err := checkUUID("rotation id", id); err != nil {
		return river.JobCancel(err)
	}
	unlock, ok, err := w.keys.lockRotation(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return river.JobSnooze(rotationBusyWait)
	}
	defer unlock()
	if w.keys.inJob != nil {
		w.keys.inJob(1)
		defer w.keys.inJob(-1)
	}
	err = w.keys.runRotationFor(ctx, id, w.keys.jobSlice)
	switch {
	case errors.Is(err, ErrRotationStopped):
		return river.JobSnooze(0)
	case errors.Is(err, ErrRotationRunsHere):
		return river.JobSnooze(rotationBusyWait)
	}
	return err
}

// Timeout: a job stops between batches after rotationSlice; its context is
// cancelled (the batch it is in rolls back) if one batch hangs past this.
func (w *rotationWorker) Timeout(*river.Job[scheduler.KeyRotationArgs]) time.Duration {
	return rotationJobTimeout
}

// lockRotation takes the rotation's session advisory lock, if free, on a
// connection it keeps until unlock. A connection whose unlock fails is
// closed, which releases the lock too.
func (m *Manager) lockRotation(ctx context.Context, id string) (unlock func(), ok bool, err error) {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock key rotation: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", rotationLockClass, id).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("lock key rotation: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var released bool
		if err := conn.QueryRow(uctx, "SELECT pg_advisory_unlock($1, hashtext($2))", rotationLockClass, id).Scan(&released); err != nil || !released {
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, true, nil
}
