package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// lockCase locks the case row (FOR NO KEY UPDATE) for the rest of the
// transaction. Every change to a case's wrapped keys takes this lock first,
// and the rotation worker skips cases whose row is locked, so a
// revocation, re-key or erasure never interleaves with the worker moving
// the same case's rows (which could otherwise leave a freshly re-wrapped
// row behind a DELETE that did not see it). The lock mode does not block
// inserts that merely reference the case (notes, secrets).
func lockCase(ctx context.Context, q db.Querier, caseID string) error {
	var one int
	err := q.QueryRow(ctx, "SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE", caseID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrCaseNotFound
	}
	return err
}

// conflict says what to do when a case already has a row for the key.
type conflict int

const (
	failOnConflict   conflict = iota // a bug or a race the caller must see
	ignoreOnConflict                 // the organisation can already read it
)

// wrapToOrgs wraps key to the active key of each organisation and inserts
// the rows.
func (m *Manager) wrapToOrgs(ctx context.Context, q db.Querier, key *vault.CaseKey, caseID string, orgIDs []string, onConflict conflict) error {
	for _, orgID := range orgIDs {
		info, err := m.activeKey(ctx, q, orgID)
		if err != nil {
			return err
		}
		wrapped, err := vault.WrapCaseKey(key, caseID, info.Recipient)
		if err != nil {
			return fmt.Errorf("wrap to organisation %s: %w", orgID, err)
		}
		sql := "INSERT INTO case_keys (case_id, key_id, wrapped) VALUES ($1, $2, $3)"
		if onConflict == ignoreOnConflict {
			sql += " ON CONFLICT (case_id, key_id) DO NOTHING"
		}
		if _, err := q.Exec(ctx, sql, caseID, info.ID, wrapped); err != nil {
			return fmt.Errorf("store key wrapped to organisation %s: %w", orgID, err)
		}
	}
	return nil
}
