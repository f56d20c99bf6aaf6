package referral

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/keys"
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

// SweepExpired runs EndExpired every interval until ctx ends; observe, if
// not nil, is told each sweep's outcome (metrics).
func SweepExpired(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, log *slog.Logger, interval time.Duration, observe func(ended int, err error)) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n, err := EndExpired(ctx, pool, km, 100)
		if observe != nil && ctx.Err() == nil {
			observe(n, err)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("ending the sharing of lapsed consents failed", "error", err)
		}
		if n > 0 {
			log.Info("ended the sharing of lapsed consents", "consents", n)
		}
	}
}
