package referral

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sharing"
)

// KeyHolders returns the organisations that may hold the case key: the
// owner first, then every organisation with an accepted referral on the
// case.
func KeyHolders(ctx context.Context, tx pgx.Tx, caseID string) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT organization_id FROM cases WHERE id = $1
		UNION ALL
		(SELECT DISTINCT r.to_organization FROM referrals r WHERE r.case_id = $1 AND `+AcceptedSQL("r")+` ORDER BY 1)`, caseID)
	if err != nil {
		return nil, fmt.Errorf("organisations sharing case %s: %w", caseID, err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("organisations sharing case %s: %w", caseID, err)
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("organisations sharing case %s: no such case", caseID)
	}
	return slices.Compact(orgs), nil
}

// Granted gives org, in tx, the case key once its referral was accepted
// (Accept): from then on it reads what the referral and its roles allow.
func Granted(ctx context.Context, tx pgx.Tx, km *keys.Manager, caseID, org string) error {
	return sharing.Grant(ctx, tx, km, sharing.Canonical(caseID), org)
}

// Ended takes the case key away from orgs, in tx, once a transition moved
// their referrals out of accepted (EndsAccess): the case is re-keyed to
// the organisations that keep access (KeyHolders). One that owns the case
// or still has another accepted referral on it keeps its access.
func Ended(ctx context.Context, tx pgx.Tx, km *keys.Manager, caseID string, orgs ...string) error {
	caseID = sharing.Canonical(caseID)
	keep, err := KeyHolders(ctx, tx, caseID)
	if err != nil {
		return err
	}
	return sharing.Revoke(ctx, tx, km, caseID, keep, orgs...)
}
