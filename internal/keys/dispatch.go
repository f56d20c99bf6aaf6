package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/casebridge/casebridge/internal/db"
)

// Dispatcher hands a running rotation to the job queue, in q's transaction
// when q is one: the server's scheduler enqueues a job unique by rotation
// id, so one replica works on it at a time and another takes it over if
// that one stops.
type Dispatcher func(ctx context.Context, q db.Querier, rotationID string) error

// SetDispatcher makes the Manager enqueue rotations through d instead of
// running them in goroutines of its own; the job's worker calls
// RunRotation. Set it before ResumeRotations.
func (m *Manager) SetDispatcher(d Dispatcher) {
	m.dispatchMu.Lock()
	defer m.dispatchMu.Unlock()
	m.jobQueue = d
}

func (m *Manager) dispatcher() Dispatcher {
	m.dispatchMu.Lock()
	defer m.dispatchMu.Unlock()
	return m.jobQueue
}

// ErrRotationStopped is returned by RunRotation when it stopped before the
// rotation was over (shutdown): the job is to be retried.
var ErrRotationStopped = errors.New("key rotation stopped before it finished")

// ErrNotThisKeyring is returned by RunRotation when this server's keyring
// cannot progress the rotation: the job is retried, perhaps by a replica
// that can.
var ErrNotThisKeyring = errors.New("key rotation cannot progress with this server's keyring")

// RunRotation works on rotation id until it is over (finished or failed),
// for as long as ctx and the Manager run. It is the body of the scheduler's
// key-rotation job.
func (m *Manager) RunRotation(ctx context.Context, id string) error {
	return m.runRotationFor(ctx, id, 0)
}

// ErrRotationRunsHere is returned by RunRotation when this server already
// works on the rotation.
var ErrRotationRunsHere = errors.New("key rotation already runs in this server")

// runRotationFor is RunRotation stopping between batches after d (when
// positive), with ErrRotationStopped if the rotation is not over by then.
func (m *Manager) runRotationFor(ctx context.Context, id string, d time.Duration) error {
	if err := checkUUID("rotation id", id); err != nil {
		return fmt.Errorf("run key rotation: %w", err)
	}
	w := &m.workers
	w.mu.Lock()
	if w.closed || m.ctx.Err() != nil {
		w.mu.Unlock()
		return ErrRotationStopped
	}
	if _, ok := w.running[id]; ok {
		w.mu.Unlock()
		return ErrRotationRunsHere
	}
	if w.running == nil {
		w.running = make(map[string]chan struct{})
	}
	done := make(chan struct{})
	w.running[id] = done
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.running, id)
		w.mu.Unlock()
		close(done)
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(m.ctx, cancel)
	defer stop()
	var until time.Time
	if d > 0 {
		until = time.Now().Add(d)
	}
	outcome, over := m.runRotationUntil(ctx, id, until)
	switch {
	case !over:
		return ErrRotationStopped
	case outcome == notMine:
		return ErrNotThisKeyring
	}
	return nil
}

// enqueueIn hands rots to the dispatcher inside q's transaction, so that
// their jobs commit with them. Without a dispatcher it does nothing: the
// commit notification starts the workers.
func (m *Manager) enqueueIn(ctx context.Context, q db.Querier, rots []Rotation) error {
	d := m.dispatcher()
	if d == nil {
		return nil
	}
	for _, r := range rots {
		if r.State != RotationRunning {
			continue
		}
		if err := d(ctx, q, r.ID); err != nil {
			return err
		}
	}
	return nil
}
