package transfers

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/approval"
	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// AcceptTransfer is the receiver taking the case on: it becomes the owner.
func (s *Service) AcceptTransfer(ctx context.Context, req *casebridgev1.AcceptTransferRequest) (*casebridgev1.AcceptTransferResponse, error) {
	t, err := s.apply(ctx, req.GetId(), req.GetEtag(), transfer.Accept)
	return &casebridgev1.AcceptTransferResponse{Transfer: t}, err
}

// DeclineTransfer is the receiver refusing the case; the sender keeps it.
func (s *Service) DeclineTransfer(ctx context.Context, req *casebridgev1.DeclineTransferRequest) (*casebridgev1.DeclineTransferResponse, error) {
	t, err := s.apply(ctx, req.GetId(), req.GetEtag(), transfer.Decline)
	return &casebridgev1.DeclineTransferResponse{Transfer: t}, err
}

// CancelTransfer is the sender withdrawing its offer.
func (s *Service) CancelTransfer(ctx context.Context, req *casebridgev1.CancelTransferRequest) (*casebridgev1.CancelTransferResponse, error) {
	t, err := s.apply(ctx, req.GetId(), req.GetEtag(), transfer.Cancel)
	return &casebridgev1.CancelTransferResponse{Transfer: t}, err
}

// apply makes tr on transfer id in one transaction. An acceptance moves the
// case: the receiver owns it under a reference of its own series, and the
// case is re-keyed to the organisations that keep access (the new owner;
// referral.Ended, the path every revocation takes), so that the former
// owner's key opens nothing of it from now on.
func (s *Service) apply(ctx context.Context, id, etag string, tr transfer.Transition) (*casebridgev1.Transfer, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id = canonical(id)
	var out *transferRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := getTransfer(ctx, tx, id, false)
		if err != nil {
			return err
		}
		audit.Concerns(ctx, "", t.CaseID)
		if err := s.mayMake(p, t, tr); err != nil {
			return err
		}
		org := tr.ActingOrg(t.From, t.To)
		audit.Concerns(ctx, org, "")
		custody(ctx, t.ID, t.From, t.To)
		// Case first, then transfer: the order referrals and erasure lock in.
		if err := lockCase(ctx, tx, t.CaseID); err != nil {
			return err
		}
		if t, err = getTransfer(ctx, tx, id, true); err != nil {
			return err
		}
		if etag != "" && etag != t.etag() {
			return rpcerr.Aborted("transfer %s was changed by someone else since you read it (stale etag): read it again and retry", id)
		}
		if err := tr.Check(t.Status); err != nil {
			return err
		}
		ref := ""
		if tr.To == transfer.Accepted {
			if ref, err = s.move(ctx, tx, t); err != nil {
				return err
			}
		}
		if err := saveAnswer(ctx, tx, t.ID, tr.To, p.Subject, ref); err != nil {
			return err
		}
		if out, err = getTransfer(ctx, tx, id, false); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, org, t.CaseID, nil)
	})
	if err != nil {
		return nil, err
	}
	return out.toProto(), nil
}

// move hands the case of t to its receiver, checking first what must
// still hold: the sender still owns a case being worked on, no referral was
// opened meanwhile, and the person's transfer consent still stands.
func (s *Service) move(ctx context.Context, tx pgx.Tx, t *transferRow) (string, error) {
	facts, err := caseaccess.Load(ctx, tx, t.CaseID, false)
	if err != nil {
		return "", err
	}
	if facts.Owner != t.From {
		return "", rpcerr.FailedPrecondition("case %s is no longer owned by %s, which proposed transfer %s", t.CaseID, t.From, t.ID)
	}
	if err := facts.CheckTransferable(); err != nil {
		return "", err
	}
	if err := refuseOpenReferrals(ctx, tx, t.CaseID); err != nil {
		return "", err
	}
	// A consent withdrawn, or lapsed while the transfer waited, no longer
	// stands.
	if err := referral.CheckInForce(ctx, tx, t.ConsentID, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER,
		fmt.Sprintf("the transfer consent %s that transfer %s relies on", t.ConsentID, t.ID), "the transfer cannot be accepted"); err != nil {
		return "", err
	}
	// The consent must still cover the receiver for the transfer purpose:
	// the project's one consent rule, as at proposal.
	to, err := referral.RecipientOf(ctx, tx, t.To)
	if err != nil {
		return "", err
	}
	if _, err := referral.FindConsent(ctx, tx, t.CaseID, t.ConsentID, to, transfer.Purpose); err != nil {
		return "", err
	}
	ref, err := moveCase(ctx, tx, t.CaseID, t.To)
	if err != nil {
		return "", err
	}
	if err := moveOpenTasks(ctx, tx, t.CaseID, t.To); err != nil {
		return "", err
	}
	if err := approval.HandOver(ctx, tx, t.CaseID); err != nil {
		return "", err
	}
	return ref, referral.Ended(ctx, tx, s.keys, t.CaseID, t.From)
}
