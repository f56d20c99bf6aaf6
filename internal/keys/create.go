package keys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// CreateCaseKey generates a new random data key for a case, wraps it to the
// active key of each organisation and stores the wrapped keys. The cases row
// must exist (normally inserted by the caller in the same transaction q).
// The key is cached and returned; the caller owns it and should Wipe it.
//
// It fails with ErrCaseKeyExists if the case already has a key.
func (m *Manager) CreateCaseKey(ctx context.Context, q db.Querier, caseID string, orgIDs ...string) (*vault.CaseKey, error) {
	if err := checkUUID("case id", caseID); err != nil {
		return nil, fmt.Errorf("create key of case: %w", err)
	}
	orgs, err := orgSet(orgIDs)
	if err != nil {
		return nil, fmt.Errorf("create key of case %s: %w", caseID, err)
	}
	gen := m.cacheGeneration()
	key, err := vault.NewCaseKey()
	if err != nil {
		return nil, fmt.Errorf("create key of case %s: %w", caseID, err)
	}
	err = atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM case_keys WHERE case_id = $1)", caseID).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return ErrCaseKeyExists
		}
		return m.wrapToOrgs(ctx, tx, key, caseID, orgs, failOnConflict)
	})
	if err != nil {
		key.Wipe()
		return nil, fmt.Errorf("create key of case %s: %w", caseID, err)
	}
	// If the caller's transaction rolls back, this entry names a case that
	// does not exist; it is harmless, and replaced if the id is used again.
	m.cachePut(caseID, key, gen)
	return key, nil
}
