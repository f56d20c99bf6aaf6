package cases

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The statuses, and the table of which may go to which, are caseaccess's
// (caseaccess.Transitions), which rules on them too (a closed case is not
// referred).
var (
	open   = caseaccess.StatusOpen
	closed = caseaccess.StatusClosed
)

// StartAssistance moves an open or suspended case to in assistance.
func (s *Service) StartAssistance(ctx context.Context, req *casebridgev1.StartAssistanceRequest) (*casebridgev1.StartAssistanceResponse, error) {
	c, err := s.changeStatus(ctx, req.GetId(), req.GetEtag(), caseaccess.StartAssistance, "", casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_UNSPECIFIED)
	return &casebridgev1.StartAssistanceResponse{Case: c}, err
}

// SuspendCase pauses assistance.
func (s *Service) SuspendCase(ctx context.Context, req *casebridgev1.SuspendCaseRequest) (*casebridgev1.SuspendCaseResponse, error) {
	c, err := s.changeStatus(ctx, req.GetId(), req.GetEtag(), caseaccess.Suspend, req.GetReason(), req.GetReasonCode())
	return &casebridgev1.SuspendCaseResponse{Case: c}, err
}

// CloseCase ends assistance.
func (s *Service) CloseCase(ctx context.Context, req *casebridgev1.CloseCaseRequest) (*casebridgev1.CloseCaseResponse, error) {
	c, err := s.changeStatus(ctx, req.GetId(), req.GetEtag(), caseaccess.Close, req.GetReason(), req.GetReasonCode())
	return &casebridgev1.CloseCaseResponse{Case: c}, err
}

// ReopenCase brings a closed case back into assistance.
func (s *Service) ReopenCase(ctx context.Context, req *casebridgev1.ReopenCaseRequest) (*casebridgev1.ReopenCaseResponse, error) {
	c, err := s.changeStatus(ctx, req.GetId(), req.GetEtag(), caseaccess.Reopen, req.GetReason(), req.GetReasonCode())
	return &casebridgev1.ReopenCaseResponse{Case: c}, err
}

// changeStatus makes transition t on case id in one transaction, if the
// caller's role may (t.Act on the case), caseaccess allows it from the
// case's status and the optional etag is current, and keeps the change in
// the case history with its reason, sealed.
func (s *Service) changeStatus(ctx context.Context, id, etag string, t caseaccess.Transition, reason string, code casebridgev1.CaseChangeReason) (*casebridgev1.Case, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var r *caseRow
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var f caseaccess.Facts
		if acc, f, err = s.gate.Check(ctx, tx, p, id, "case", t.Act, true, caseNotFound(id)); err != nil {
			return err
		}
		if r, err = getCase(ctx, tx, id, false); err != nil {
			return err
		}
		if err := caseaccess.Transit(ctx, tx, f, t); err != nil {
			return err
		}
		if err := checkEtag(r, etag, false); err != nil {
			return err
		}
		auditReason(ctx, code, reason)
		if err := s.audit.InTx(ctx, tx, acc.Org, id, historyClasses(reason)); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, r.ID, t.To, false, reason, code, p.Subject); err != nil {
			return err
		}
		now := s.now()
		r.Status = t.To
		switch t.To {
		case closed:
			r.CloseTime = &now
		default:
			r.CloseTime = nil
		}
		if err := saveCase(ctx, tx, r, now); err != nil {
			return err
		}
		// Organisations working on the case by referral follow its status.
		return referral.CaseStatusChanged(ctx, tx, r.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.render(ctx, s.pool, acc, r, casebridgev1.CaseView_CASE_VIEW_BASIC)
}

// AssignCase gives the case to a caseworker or supervisor of the owning organisation.
func (s *Service) AssignCase(ctx context.Context, req *casebridgev1.AssignCaseRequest) (*casebridgev1.AssignCaseResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var r *caseRow
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if acc, err = s.access(ctx, tx, p, req.GetId(), "case", "assign", true); err != nil {
			return err
		}
		if acc.Shared {
			return rpcerr.PermissionDenied("only the owning organisation may assign case %s", req.GetId())
		}
		if r, err = getCase(ctx, tx, req.GetId(), false); err != nil {
			return err
		}
		if err := editable(r); err != nil {
			return err
		}
		if err := checkEtag(r, req.GetEtag(), false); err != nil {
			return err
		}
		if err := requireCaseworker(ctx, tx, r.OrgID, req.GetCaseworker()); err != nil {
			return err
		}
		r.Assigned = req.GetCaseworker()
		if err := s.audit.InTx(ctx, tx, acc.Org, r.ID, nil); err != nil {
			return err
		}
		return saveCase(ctx, tx, r, s.now())
	})
	if err != nil {
		return nil, err
	}
	c, err := s.render(ctx, s.pool, acc, r, casebridgev1.CaseView_CASE_VIEW_BASIC)
	return &casebridgev1.AssignCaseResponse{Case: c}, err
}

// requireCaseworker checks that subject may carry cases in org.
func requireCaseworker(ctx context.Context, tx pgx.Tx, org, subject string) error {
	ok, err := holdsRole(ctx, tx, org, subject, authz.CaseCarriers)
	if err != nil {
		return err
	}
	if !ok {
		return rpcerr.InvalidArgument("caseworker", "%s is not a caseworker or supervisor of %s", subject, org)
	}
	return nil
}
