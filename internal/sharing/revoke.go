package sharing

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// Revoke takes the case key away from orgs, in tx, after their sharing of
// the case ended: the caller has already moved their referrals out of
// accepted in the same transaction. keep are the organisations that still
// have access (the owner first, then every receiver of an accepted
// referral: referral.KeyHolders); one of orgs among them keeps its access.
//
// Deleting the revoked organisation's wrapped copy is not enough: until now
// it could unwrap the case key, so it may have kept it, and anything sealed
// later under that key would still be within its reach. So the case is
// re-keyed: a new key, wrapped only to the organisations that still have
// access, and every sealed value of the case (every column of the registry,
// see vault.Columns) re-encrypted under it — all in tx, so that a failure leaves the sharing as it was.
//
// Nothing happens when no organisation actually loses access or none of
// them held the key (a referral that was never accepted, an erased case).
func Revoke(ctx context.Context, tx pgx.Tx, km *keys.Manager, caseID string, keep []string, orgs ...string) error {
	caseID = Canonical(caseID)
	if len(keep) == 0 {
		return fmt.Errorf("revoke access to case %s: nobody keeps it (no owner)", caseID)
	}
	var lost []string
	for _, org := range orgs {
		if !slices.Contains(keep, org) && !slices.Contains(lost, org) {
			lost = append(lost, org)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	held, err := holdsKey(ctx, tx, caseID, lost)
	if err != nil || !held {
		return err
	}
	err = km.ReplaceCaseKey(ctx, tx, caseID, func(q db.Querier, old, new *vault.CaseKey) error {
		return sealed.Reseal(ctx, q, caseID, old, new)
	}, keep...)
	if err != nil {
		return fmt.Errorf("revoke access of %v to case %s: %w", lost, caseID, err)
	}
	return nil
}
