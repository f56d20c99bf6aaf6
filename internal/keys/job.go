package keys

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/scheduler"
)

// UseScheduler runs this Manager's rotations as scheduler jobs: one job per
// rotation, unique by its id, so that among all replicas one works on it at
// a time, and a job cut short (a replica stopped, a keyring that cannot do
// the work) is retried, possibly elsewhere. Call it before the scheduler
// starts and before ResumeRotations.
func (m *Manager) UseScheduler(s *scheduler.Scheduler) {
	scheduler.Handle(s, &rotationWorker{keys: m})
	m.SetDispatcher(func(ctx context.Context, q db.Querier, id string) error {
		return s.Insert(ctx, q, scheduler.KeyRotationArgs{RotationID: id}, scheduler.Unique)
	})
}

type rotationWorker struct {
	river.WorkerDefaults[scheduler.KeyRotationArgs]
	keys *Manager
}

func (w *rotationWorker) Work(ctx context.Context, job *river.Job[scheduler.KeyRotationArgs]) error {
	return w.keys.RunRotation(ctx, job.Args.RotationID)
}

// Timeout: a rotation of a large caseload takes as long as it takes; it
// stops between batches when the server shuts down.
func (w *rotationWorker) Timeout(*river.Job[scheduler.KeyRotationArgs]) time.Duration { return -1 }
