package referral

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/scheduler"
)

// EndExpired ends the sharing that relied on consents which have lapsed
// (their expire_time passed), exactly as a withdrawal would: the referrals
// are revoked and the case is re-keyed away from the receivers. It handles
// at most limit consents and reports how many it ended. Replicas may run it
// at once: each case is changed under its row lock, and a referral already
// revoked is not revoked again.
func EndExpired(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, limit int) (int, error) {
	rows, err := pool.Query(ctx, `SELECT DISTINCT r.case_id::text, r.consent_id::text
		FROM referrals r JOIN consents c ON c.id = r.consent_id
		WHERE `+OpenSQL("r")+` AND `+LapsedSQL("c")+`
		LIMIT $1`, limit)
	if err != nil {
		return 0, fmt.Errorf("find lapsed consents: %w", err)
	}
	type lapsed struct{ caseID, consentID string }
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lapsed, error) {
		var l lapsed
		return l, r.Scan(&l.caseID, &l.consentID)
	})
	if err != nil {
		return 0, fmt.Errorf("find lapsed consents: %w", err)
	}
	for _, l := range found {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, l.caseID); err != nil {
				return err
			}
			return EndConsent(ctx, tx, km, l.caseID, l.consentID, "consent expired")
		})
		if err != nil {
			return 0, fmt.Errorf("end sharing of lapsed consent %s: %w", l.consentID, err)
		}
	}
	return len(found), nil
}

// ScheduleSweep runs EndExpired as a periodic scheduler job every
// interval (one replica per period); observe, if not nil, is told each
// sweep's outcome (metrics).
func ScheduleSweep(s *scheduler.Scheduler, pool *pgxpool.Pool, km *keys.Manager, log *slog.Logger, interval time.Duration, observe func(ended int, err error)) {
	scheduler.Handle(s, &sweepWorker{pool: pool, keys: km, log: log, observe: observe})
	s.Every(interval, scheduler.ConsentSweepArgs{})
}

type sweepWorker struct {
	river.WorkerDefaults[scheduler.ConsentSweepArgs]
	pool    *pgxpool.Pool
	keys    *keys.Manager
	log     *slog.Logger
	observe func(ended int, err error)
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[scheduler.ConsentSweepArgs]) error {
	n, err := EndExpired(ctx, w.pool, w.keys, 100)
	if w.observe != nil && ctx.Err() == nil {
		w.observe(n, err)
	}
	if n > 0 {
		w.log.Info("ended the sharing of lapsed consents", "consents", n)
	}
	if err != nil && ctx.Err() == nil {
		// The next period's sweep tries again; a retry of this one would
		// only overlap it.
		w.log.Warn("ending the sharing of lapsed consents failed", "error", err)
	}
	return nil
}
