package caseaccess

import (
	"context"

	"github.com/casebridge/casebridge/internal/approval"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// CheckWorkable refuses (FailedPrecondition) casework — a support plan, a
// service, an approval — on a case that is erased or closed: what is
// planned and done for a person is recorded while the case is worked on;
// a closed case is reopened first.
func (f Facts) CheckWorkable() error {
	switch {
	case f.Erased:
		return rpcerr.FailedPrecondition("case %s is erased", f.ID)
	case f.Status == StatusClosed:
		return rpcerr.FailedPrecondition("case %s is closed: reopen it before changing its casework", f.ID)
	}
	return nil
}

// ClosureApproval is what the closure of a case needs to know about a
// supervisor's approval (internal/approval): whether the owner requires
// one, and the approved request the closure would use.
type ClosureApproval struct {
	Required   bool
	ApprovalID string
}

// gatedByApproval reports whether t is a closure an organisation can
// require a supervisor's approval of. An erasure closes the case too, but
// it is the person's right, never held up by a sign-off.
func gatedByApproval(t Transition) bool { return t.Verb == Close.Verb }

// checkClosureApproval is the rule on top of the table: where the owner
// requires a supervisor's approval of closures, a closure needs an
// approved request.
func checkClosureApproval(f Facts, t Transition) error {
	if gatedByApproval(t) && f.Closure.Required && f.Closure.ApprovalID == "" {
		return rpcerr.FailedPrecondition("closing case %s needs a supervisor's approval in your organisation: request one (RequestApproval, subject case closure) and have it approved first", f.ID)
	}
	return nil
}

// Transit decides transition t of the case f describes and, when it is
// allowed, settles the case's approvals with it: for a closure it loads the
// owner's approval setting and the case's approved closure request,
// decides with CheckTransition, and marks that request used whether or
// not one was required, so that one approval closes the case once; an
// erasure withdraws every open request, and a reopen every unused closure
// approval, so that only one decided since the last reopen counts. Call it in the transaction that makes the change,
// over facts loaded there with the case row locked; a refusal leaves
// everything as it was.
func Transit(ctx context.Context, q db.Querier, f Facts, t Transition) error {
	if gatedByApproval(t) && !f.Erased {
		var err error
		if f.Closure.Required, f.Closure.ApprovalID, err = approval.ClosureFacts(ctx, q, f.ID, f.Owner); err != nil {
			return err
		}
	}
	if err := CheckTransition(f, t); err != nil {
		return err
	}
	switch {
	case gatedByApproval(t) && f.Closure.ApprovalID != "":
		return approval.UseClosure(ctx, q, f.Closure.ApprovalID)
	case t.Verb == Erase.Verb:
		return approval.WithdrawOpen(ctx, q, f.ID)
	case t.Verb == Reopen.Verb:
		return approval.WithdrawClosures(ctx, q, f.ID)
	}
	return nil
}
