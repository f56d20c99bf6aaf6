package referrals

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// lockCase takes the case row lock that every change to a case's sharing
// takes first (CaseService's consent withdrawal and erasure too), so that a
// referral changes with the case standing still and no two changes of its
// sharing interleave.
func lockCase(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("lock case %s: %w", id, err)
	}
	return nil
}

// caseReference loads the reference of case id under its current owner;
// a case that does not exist is NotFound.
func caseReference(ctx context.Context, q db.Querier, id string) (string, error) {
	var ref string
	err := q.QueryRow(ctx, `SELECT reference FROM cases WHERE id = $1`, id).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", caseNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("load case %s: %w", id, err)
	}
	return ref, nil
}

// openReferralTo finds an open referral of case caseID asking to for
// service; "" when there is none.
func openReferralTo(ctx context.Context, q db.Querier, caseID, to string, service casebridgev1.ServiceKind) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM referrals r WHERE r.case_id = $1 AND r.to_organization = $2 AND r.service = $3
		AND `+referral.OpenSQL("r")+` LIMIT 1`, caseID, to, int16(service)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up open referrals of case %s: %w", caseID, err)
	}
	return id, nil
}
