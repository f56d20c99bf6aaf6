package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/supportplan"
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

// ClosureFacts is what closing case caseID of organisation org needs to
// know: whether org requires a supervisor's approval of closures, and the
// case's latest approved (not yet used) closure request of org, "" when
// there is none. The request is found whether or not one is required: a
// close uses it either way, so that it cannot close the case again later.
// A request made while another organisation owned the case does not count.
func ClosureFacts(ctx context.Context, q db.Querier, caseID, org string) (required bool, approvalID string, err error) {
	if required, err = Required(ctx, q, org, Closure); err != nil {
		return false, "", err
	}
	err = q.QueryRow(ctx, `SELECT id::text FROM approvals
		WHERE case_id = $1 AND organization_id = $2 AND subject = $3 AND status = $4
		ORDER BY seq DESC LIMIT 1 FOR UPDATE`,
		caseID, org, int16(Closure), int16(Approved)).Scan(&approvalID)
	if errors.Is(err, pgx.ErrNoRows) {
		return required, "", nil
	}
	if err != nil {
		return required, "", fmt.Errorf("load the closure approval of case %s: %w", caseID, err)
	}
	return required, approvalID, nil
}

// WithdrawOpen withdraws (Withdraw) every pending or approved request of
// case caseID, in the transaction that erases it: nobody can decide or
// use them any more.
func WithdrawOpen(ctx context.Context, q db.Querier, caseID string) error {
	if _, err := q.Exec(ctx, `UPDATE approvals SET status = $2, decide_time = now(), version = version + 1
		WHERE case_id = $1 AND status = ANY($3::smallint[])`, caseID, int16(Withdraw.To), statuses(Withdraw.From)); err != nil {
		return fmt.Errorf("withdraw the approvals of case %s: %w", caseID, err)
	}
	return nil
}

// HandOver ends, in the transaction that transfers case caseID to
// another organisation, what the former owner was asked to approve: every
// open request is withdrawn (WithdrawOpen) — the organisation asked no
// longer decides anything for the case, and the new owner's supervisors
// cannot decide a request made of another organisation — and a support
// plan awaiting approval is a draft again, so that the new owner can
// change it and ask its own supervisors rather than find it frozen.
func HandOver(ctx context.Context, q db.Querier, caseID string) error {
	if err := WithdrawOpen(ctx, q, caseID); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `UPDATE support_plans SET status = $2, version = version + 1, update_time = now()
		WHERE case_id = $1 AND status = $3`, caseID, int16(supportplan.PlanDraft), int16(supportplan.PlanAwaiting)); err != nil {
		return fmt.Errorf("return the support plan of case %s to draft: %w", caseID, err)
	}
	return nil
}

// WithdrawClosures withdraws the approved, unused closure requests of case
// caseID, in the transaction that reopens it: only an approval decided
// since the last reopen closes the case.
func WithdrawClosures(ctx context.Context, q db.Querier, caseID string) error {
	if _, err := q.Exec(ctx, `UPDATE approvals SET status = $2, version = version + 1
		WHERE case_id = $1 AND subject = $3 AND status = $4`, caseID, int16(Withdraw.To), int16(Closure), int16(Approved)); err != nil {
		return fmt.Errorf("withdraw the closure approvals of case %s: %w", caseID, err)
	}
	return nil
}

// UseClosure marks approved closure request id used (Use), in the
// transaction that closes its case.
func UseClosure(ctx context.Context, q db.Querier, id string) error {
	tag, err := q.Exec(ctx, `UPDATE approvals SET status = $2, use_time = now(), version = version + 1
		WHERE id = $1 AND status = ANY($3::smallint[])`, id, int16(Use.To), statuses(Use.From))
	if err != nil {
		return fmt.Errorf("use approval %s: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("use approval %s: it is no longer approved", id)
	}
	return nil
}

func statuses(ss []Status) []int16 {
	out := make([]int16, len(ss))
	for i, s := range ss {
		out[i] = int16(s)
	}
	return out
}
