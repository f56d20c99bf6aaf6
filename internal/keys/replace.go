package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// ReplaceCaseKey re-keys one case, typically after a revocation, so that an
// organisation that once held the case key cannot read what is written (or
// re-encrypted) from now on. A new random key is wrapped to the active key
// of each of orgIDs, every old wrapped key is deleted, and reencrypt is
// called with the old and the new key to re-encrypt the case's ciphertexts.
//
// reencrypt is given the transaction the re-key runs in (a savepoint of q,
// or a transaction of its own if q is a pool) and must do its writes on it,
// so the new key and the re-encrypted ciphertexts commit or roll back
// together: ciphertexts sealed under a key that was never stored would be
// lost. It must not keep either key: both are wiped when ReplaceCaseKey
// returns. If it fails, nothing is changed.
//
// Organisations not in orgIDs lose access to the case.
//
// Caches of every Manager forget the case when the transaction commits;
// until then this Manager serves the new key only to reads made through the
// transaction itself.
func (m *Manager) ReplaceCaseKey(ctx context.Context, q db.Querier, caseID string, reencrypt func(tx db.Querier, old, new *vault.CaseKey) error, orgIDs ...string) error {
	if err := checkUUID("case id", caseID); err != nil {
		return fmt.Errorf("replace key of case: %w", err)
	}
	orgs, err := orgSet(orgIDs)
	if err != nil {
		return fmt.Errorf("replace key of case %s: %w", caseID, err)
	}
	if reencrypt == nil {
		return fmt.Errorf("replace key of case %s: %w", caseID, errors.New("no re-encryption callback"))
	}
	newKey, err := vault.NewCaseKey()
	if err != nil {
		return fmt.Errorf("replace key of case %s: %w", caseID, err)
	}
	defer newKey.Wipe()
	err = atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		oldKey, err := m.loadCaseKey(ctx, tx, caseID)
		if err != nil {
			return err
		}
		defer oldKey.Wipe()
		token := m.cacheHold(caseID)
		if _, err := tx.Exec(ctx, "DELETE FROM case_keys WHERE case_id = $1", caseID); err != nil {
			return err
		}
		if err := m.wrapToOrgs(ctx, tx, newKey, caseID, orgs, failOnConflict); err != nil {
			return err
		}
		if err := reencrypt(tx, oldKey, newKey); err != nil {
			return fmt.Errorf("re-encrypt: %w", err)
		}
		return notifyCaseKey(ctx, tx, caseID, token)
	})
	if err != nil {
		return fmt.Errorf("replace key of case %s: %w", caseID, err)
	}
	return nil
}
