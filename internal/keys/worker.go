package keys

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casebridge/casebridge/internal/vault"
)

// workerSet tracks this process's rotation workers: at most one per
// rotation. Other replicas may run their own; their batches take turns on
// the rotation row, and finishing is idempotent.
type workerSet struct {
	mu      sync.Mutex
	closed  bool
	running map[string]chan struct{} // by rotation id; closed when the worker ends
}

// close refuses new workers from now on.
func (w *workerSet) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

func (w *workerSet) wait() {
	for {
		w.mu.Lock()
		var done chan struct{}
		for _, ch := range w.running {
			done = ch
			break
		}
		w.mu.Unlock()
		if done == nil {
			return
		}
		<-done
	}
}

// startWorker runs the rotation in the background unless this Manager
// already does or is closed. With a dispatcher (the server's scheduler) it
// hands the rotation to the job queue instead, which runs it on one replica.
func (m *Manager) startWorker(id string) {
	if d := m.dispatcher(); d != nil {
		if m.ctx.Err() != nil {
			return
		}
		if err := d(m.ctx, m.pool, id); err != nil && m.ctx.Err() == nil {
			m.log.Warn("enqueue key rotation", "rotation_id", id, "error", err)
		}
		return
	}
	w := &m.workers
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || m.ctx.Err() != nil {
		return
	}
	if _, ok := w.running[id]; ok {
		return
	}
	if w.running == nil {
		w.running = make(map[string]chan struct{})
	}
	done := make(chan struct{})
	w.running[id] = done
	go func() {
		defer func() {
			w.mu.Lock()
			delete(w.running, id)
			w.mu.Unlock()
			close(done)
		}()
		m.runRotation(m.ctx, id)
	}()
}

// stepOutcome is what one unit of rotation work achieved.
type stepOutcome int

const (
	moved    stepOutcome = iota // a batch was re-wrapped; go on
	blocked                     // rows are left but locked by others; wait
	finished                    // the rotation is no longer running
	notMine                     // this keyring cannot do the work; leave it
)

// runRotation re-wraps batches until the rotation is finished, and reports
// whether it is over for this server (finished, failed, or not this
// keyring's to do) rather than stopped by ctx. Transient
// failures (the database going away) are retried with backoff for as long
// as the Manager runs; failures no retry can cure (a case key that cannot
// be unwrapped) mark the rotation failed, as do other database errors that
// persist over maxRetries attempts. Close stops it between batches, leaving
// it running for ResumeRotations.
func (m *Manager) runRotation(ctx context.Context, id string) (stepOutcome, bool) {
	return m.runRotationUntil(ctx, id, time.Time{})
}

// runRotationUntil is runRotation stopping, between batches, once until has
// passed (when not zero), as though ctx had ended.
func (m *Manager) runRotationUntil(ctx context.Context, id string, until time.Time) (stepOutcome, bool) {
	log := m.log.With("rotation_id", id)
	failures := 0
	for ctx.Err() == nil && (until.IsZero() || time.Now().Before(until)) {
		outcome, err := m.rotationStep(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return 0, false
			}
			failures++
			if permanent(err) || (!transient(err) && failures > m.maxRetries) {
				m.failRotation(id, err)
				return finished, true
			}
			log.Warn("key rotation batch failed; retrying", "error", err, "attempt", failures)
			if !sleep(ctx, min(m.retryDelay<<min(failures-1, 6), maxRetryDelay)) {
				return 0, false
			}
			continue
		}
		failures = 0
		switch outcome {
		case moved:
			if m.afterBatch != nil {
				m.afterBatch()
			}
		case blocked:
			if !sleep(ctx, m.idleDelay) {
				return 0, false
			}
		case finished:
			return finished, true
		case notMine:
			log.Warn("key rotation cannot progress with this server's keyring; leaving it to others")
			return notMine, true
		}
	}
	return 0, false
}

// rotationStep moves one batch or, if none is left (or the rotation was
// finished elsewhere), finishes.
func (m *Manager) rotationStep(ctx context.Context, id string) (stepOutcome, error) {
	outcome, err := m.rewrapBatch(ctx, id)
	if err != nil || outcome == moved || outcome == notMine {
		return outcome, err
	}
	return m.finishRotation(ctx, id)
}

// maxRetryDelay caps the backoff between failed attempts.
const maxRetryDelay = time.Minute

// transient reports errors that say nothing about the rotation itself (the
// database is unreachable, restarting, overloaded, or chose this
// transaction as a deadlock victim): the worker retries them for as long as
// it runs, rather than failing a rotation because of an outage.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return !permanent(err) // network errors, closed connections
	}
	if len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", "40", "53", "55", "57":
		return true
	}
	return false
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	return errors.Is(err, vault.ErrNoKey) || errors.Is(err, vault.ErrCorrupt) ||
		errors.Is(err, vault.ErrWrongBinding) || errors.Is(err, vault.ErrInvalidCaseID) ||
		errors.Is(err, ErrKeyNotHeld) || errors.Is(err, ErrRotationUnattested) ||
		errors.Is(err, ErrForeignKey) || errors.Is(err, ErrRotationIncomplete)
}
