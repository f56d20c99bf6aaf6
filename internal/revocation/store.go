package revocation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// revokeRow records id as revoked until until (its token's expiry and
// KeepPastExpiry), drops rows past theirs, runs record (if any) and tells every replica, in one
// transaction: the notification is delivered only if the row is committed.
func revokeRow(ctx context.Context, pool txBeginner, id string, until time.Time, record func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES ($1, $2)
			ON CONFLICT (token_id) DO NOTHING`, id, until); err != nil {
			return fmt.Errorf("revocation: insert: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM revoked_tokens WHERE expire_time < now()`); err != nil {
			return fmt.Errorf("revocation: prune: %w", err)
		}
		if record != nil {
			if err := record(tx); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, id); err != nil {
			return fmt.Errorf("revocation: notify: %w", err)
		}
		return nil
	})
}

// isRevokedRow reports whether id has a revocation row.
func isRevokedRow(ctx context.Context, q db.Querier, id string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM revoked_tokens WHERE token_id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("revocation: lookup: %w", err)
	}
	return true, nil
}

// pruneRows deletes the rows past the time they are kept until.
func pruneRows(ctx context.Context, q db.Querier) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM revoked_tokens WHERE expire_time < now()`)
	if err != nil {
		return 0, fmt.Errorf("revocation: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

// revokedRows returns those of ids that have a revocation row.
func revokedRows(ctx context.Context, q db.Querier, ids []string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT token_id FROM revoked_tokens WHERE token_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
