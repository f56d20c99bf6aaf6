package documents

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/blobstore"
)

// Sweeper deletes the objects of deleted documents from the blob store
// after the deletion committed (DeleteDocument, an erasure, a failed or
// duplicate upload), retrying each until the store says it is gone. Its
// queue is the table document_object_deletions, so any replica may drain
// it and nothing is lost when one stops. It is a small loop on purpose: a
// job library can take its place without changing the queue.
type Sweeper struct {
	pool  *pgxpool.Pool
	blobs blobstore.Store
	log   *slog.Logger
	every time.Duration
	kick  chan struct{}
}

// NewSweeper returns a sweeper over pool's queue and blobs; it looks for
// due deletions every interval and whenever kicked.
func NewSweeper(pool *pgxpool.Pool, blobs blobstore.Store, log *slog.Logger, every time.Duration) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	return &Sweeper{pool: pool, blobs: blobs, log: log, every: every, kick: make(chan struct{}, 1)}
}

// Kick asks for a round now (a deletion just committed).
func (w *Sweeper) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run sweeps until ctx ends.
func (w *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		for {
			n, err := w.Sweep(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("documents: object deletions wait for the next round", "error", err.Error())
			}
			if err != nil || n < sweepBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// sweepBatch is how many deletions one round claims at once.
const sweepBatch = 100

// Sweep runs one round: it claims the due deletions and deletes each
// object no document names. It returns how many it claimed.
func (w *Sweeper) Sweep(ctx context.Context) (int, error) {
	ids, err := claimDeletions(ctx, w.pool, sweepBatch)
	if err != nil {
		return 0, err
	}
	var firstErr error
	for _, id := range ids {
		used, err := inUse(ctx, w.pool, id)
		if err == nil && !used {
			err = w.blobs.Delete(ctx, id)
		}
		if err == nil {
			err = deletionDone(ctx, w.pool, id)
		}
		if err != nil && firstErr == nil {
			firstErr = err // retried when its claim comes due again
		}
	}
	return len(ids), firstErr
}

// Pending counts the deletions not done yet, due or not.
func (w *Sweeper) Pending(ctx context.Context) (int, error) { return pendingDeletions(ctx, w.pool) }
