package keys

import (
	"context"
	"fmt"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/jackc/pgx/v5"
)

// GrantCaseKey lets another organisation read a case (a referral was
// accepted): the case key is wrapped to that organisation's active key. The
// case key is taken from the database, not the cache, so what is stored is
// exactly the committed key. Granting twice is a no-op.
func (m *Manager) GrantCaseKey(ctx context.Context, q db.Querier, caseID, orgID string) error {
	if err := checkUUID("case id", caseID); err != nil {
		return fmt.Errorf("grant key of case: %w", err)
	}
	if err := checkOrgID(orgID); err != nil {
		return fmt.Errorf("grant key of case %s: %w", caseID, err)
	}
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		key, err := m.loadCaseKey(ctx, tx, caseID)
		if err != nil {
			return err
		}
		defer key.Wipe()
		return m.wrapToOrgs(ctx, tx, key, caseID, []string{orgID}, ignoreOnConflict)
	})
	if err != nil {
		return fmt.Errorf("grant key of case %s to organisation %s: %w", caseID, orgID, err)
	}
	return nil
}

// RevokeCaseKey deletes the case key rows wrapped to any key of the
// organisation (a referral ended or consent was withdrawn). It refuses with
// ErrLastCaseKey to remove the case's last wrapped key: that is erasure,
// which must go through ShredCaseKeys and a rotation.
//
// The revoked organisation may still hold the case key in an older backup,
// wrapped to its own key; if that matters, re-key the case with
// ReplaceCaseKey in the same transaction.
func (m *Manager) RevokeCaseKey(ctx context.Context, q db.Querier, caseID, orgID string) error {
	if err := checkUUID("case id", caseID); err != nil {
		return fmt.Errorf("revoke key of case: %w", err)
	}
	if err := checkOrgID(orgID); err != nil {
		return fmt.Errorf("revoke key of case %s: %w", caseID, err)
	}
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			DELETE FROM case_keys
			WHERE case_id = $1
			  AND key_id IN (SELECT key_id FROM organization_keys WHERE organization_id = $2)`,
			caseID, orgID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		var left bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM case_keys WHERE case_id = $1)", caseID).Scan(&left); err != nil {
			return err
		}
		if !left {
			return ErrLastCaseKey
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke key of case %s from organisation %s: %w", caseID, orgID, err)
	}
	return nil
}
