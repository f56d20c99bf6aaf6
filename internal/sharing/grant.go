package sharing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/keys"
)

// Grant gives org the case key, in tx, once a referral to it is accepted:
// from then on the case's ciphertexts can be opened for org's members
// (within what the referral and their roles allow, which is authz's job).
//
// A case that never held sensitive data (an import of coded attributes) has
// no key yet. It gets one now, wrapped to its owner and to org, because the
// owner would otherwise create it on the first write wrapped to itself
// alone, and org would not be able to read what it was granted.
func Grant(ctx context.Context, tx pgx.Tx, km *keys.Manager, caseID, org string) error {
	caseID = Canonical(caseID)
	keyed, err := hasKey(ctx, tx, caseID)
	if err != nil {
		return err
	}
	if keyed {
		if err := km.GrantCaseKey(ctx, tx, caseID, org); err != nil {
			return fmt.Errorf("share case %s with %s: %w", caseID, org, err)
		}
		return nil
	}
	var owner string
	var erased bool
	err = tx.QueryRow(ctx, `SELECT organization_id, erase_time IS NOT NULL FROM cases WHERE id = $1`, caseID).Scan(&owner, &erased)
	if err != nil {
		return fmt.Errorf("share case %s with %s: %w", caseID, org, err)
	}
	if erased {
		return nil // nothing left to read, and no key may ever be made again
	}
	key, err := km.CreateCaseKey(ctx, tx, caseID, owner, org)
	if err != nil {
		return fmt.Errorf("share case %s with %s: %w", caseID, org, err)
	}
	key.Wipe()
	return nil
}
