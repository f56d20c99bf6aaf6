package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Required reports whether organisation org requires a supervisor's
// approval of subject (its settings, organizations.support_plan_approval
// and closure_approval). An organisation that does not exist requires
// nothing.
func Required(ctx context.Context, q db.Querier, org string, subject Subject) (bool, error) {
	var plans, closures bool
	err := q.QueryRow(ctx, `SELECT support_plan_approval, closure_approval FROM organizations WHERE id = $1`, org).Scan(&plans, &closures)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load approval settings of %s: %w", org, err)
	}
	if subject == Closure {
		return closures, nil
	}
	return plans, nil
}

// GateClosure is the closure gate, called in the transaction that closes
// case caseID of organisation org, with the case row locked. When org
// requires a supervisor's approval of closures it uses the case's latest
// approved closure request of org (approved → used), so that it is used
// once; with none it is FailedPrecondition and the case stays open.
func GateClosure(ctx context.Context, q db.Querier, caseID, org string) error {
	need, err := Required(ctx, q, org, Closure)
	if err != nil || !need {
		return err
	}
	tag, err := q.Exec(ctx, `UPDATE approvals SET status = $4, use_time = now(), version = version + 1
		WHERE id = (SELECT id FROM approvals
			WHERE case_id = $1 AND organization_id = $2 AND subject = $3 AND status = $5
			ORDER BY seq DESC LIMIT 1)`,
		caseID, org, int16(Closure), int16(Use.To), int16(Approved))
	if err != nil {
		return fmt.Errorf("use the closure approval of case %s: %w", caseID, err)
	}
	if tag.RowsAffected() == 0 {
		return rpcerr.FailedPrecondition("closing case %s needs a supervisor's approval in your organisation: request one (RequestApproval, subject case closure) and have it approved first", caseID)
	}
	return nil
}
