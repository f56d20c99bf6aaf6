package limits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// quotaUsed is how many cases org created in the period starting at start.
func quotaUsed(ctx context.Context, q db.Querier, org string, start time.Time) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT created FROM case_creation_quota
		WHERE organization_id = $1 AND period_start = $2`, org, start).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the case quota of %s: %w", org, err)
	}
	return n, nil
}

// quotaCharge adds n to org's count for the period if the total stays
// within limit, in one statement (the row lock serialises concurrent
// charges); ok is false when it would not.
func quotaCharge(ctx context.Context, q db.Querier, org string, start time.Time, n, limit int) (ok bool, err error) {
	var total int
	err = q.QueryRow(ctx, `INSERT INTO case_creation_quota AS q (organization_id, period_start, created)
		VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, period_start) DO UPDATE SET created = q.created + EXCLUDED.created
			WHERE q.created + EXCLUDED.created <= $4
		RETURNING created`, org, start, n, limit).Scan(&total)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("charge the case quota of %s: %w", org, err)
	}
	return true, nil
}
