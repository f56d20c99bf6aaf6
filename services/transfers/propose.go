package transfers

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// ProposeTransfer offers a case to another organisation, in one
// transaction. It needs the person's transfer consent covering the
// receiver, a case still being worked on, no open referral and no other
// transfer waiting. A retry with the same request id returns the transfer
// the first attempt made.
func (s *Service) ProposeTransfer(ctx context.Context, req *casebridgev1.ProposeTransferRequest) (*casebridgev1.ProposeTransferResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := canonical(req.GetCaseId())
	n := newTransfer{id: uuid.NewString(), caseID: caseID, to: req.GetToOrganizationId(), proposedBy: p.Subject}
	if req.GetRequestId() != "" {
		rid := canonical(req.GetRequestId())
		n.requestID = &rid
	}
	// The request id is the sending organisation's, bound to the case.
	once := requestid.Create{RequestID: canonical(req.GetRequestId()), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return transferByRequest(ctx, q, n.from, rid)
		}}
	id := n.id
	audit.Concerns(ctx, "", caseID)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, facts, err := s.gate.Check(ctx, tx, p, caseID, transfer.Object, transfer.ActPropose, true, caseNotFound(caseID))
		if err != nil {
			return err
		}
		if acc.Shared {
			return rpcerr.PermissionDenied("only the organisation that owns case %s may transfer it", caseID)
		}
		n.from = acc.Org
		audit.Concerns(ctx, n.from, "")
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := s.proposable(ctx, tx, facts, &n, canonical(req.GetConsentId())); err != nil {
			return err
		}
		inserted, err := insertTransfer(ctx, tx, n)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		custody(ctx, n.id, n.from, n.to)
		return s.audit.InTx(ctx, tx, n.from, caseID, nil)
	})
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	t, err := getTransfer(ctx, s.pool, id, false)
	if err != nil {
		return nil, fmt.Errorf("read back transfer %s: %w", id, err)
	}
	if id != n.id {
		// A retry changes nothing; its event (the interceptor's) still
		// names the transfer it returned.
		custody(ctx, t.ID, t.From, t.To)
	}
	return &casebridgev1.ProposeTransferResponse{Transfer: t.toProto()}, nil
}

// proposable checks everything a proposal n needs besides the caller's
// right to make it, and fills in its consent and reference.
func (s *Service) proposable(ctx context.Context, tx pgx.Tx, facts caseaccess.Facts, n *newTransfer, consentID string) error {
	if err := facts.CheckTransferable(); err != nil {
		return err
	}
	if n.to == n.from {
		return rpcerr.InvalidArgument("to_organization_id", "%s owns case %s: a case is transferred to another organisation", n.to, n.caseID)
	}
	to, err := referral.RecipientOf(ctx, tx, n.to)
	if err != nil {
		return err
	}
	if to.Kind == casebridgev1.OrganizationKind_ORGANIZATION_KIND_COORDINATING_BODY {
		return rpcerr.InvalidArgument("to_organization_id", "%s is a coordinating body: it keeps no cases", n.to)
	}
	if open, err := proposedOf(ctx, tx, n.caseID); err != nil {
		return err
	} else if open != "" {
		return rpcerr.FailedPrecondition("transfer %s of case %s is already waiting for an answer: cancel it before proposing another", open, n.caseID)
	}
	if err := refuseOpenReferrals(ctx, tx, n.caseID); err != nil {
		return err
	}
	if n.consentID, err = referral.FindConsent(ctx, tx, n.caseID, consentID, to, transfer.Purpose); err != nil {
		return err
	}
	n.fromRef, err = caseReference(ctx, tx, n.caseID)
	return err
}

// custody records on the call's audit event which transfer it made or
// answered and between which organisations: the chain of custody an
// auditor reads (ids only).
func custody(ctx context.Context, id, from, to string) {
	audit.Detail(ctx, audit.DetailTransfer, id)
	audit.Detail(ctx, audit.DetailFrom, from)
	audit.Detail(ctx, audit.DetailTo, to)
}
