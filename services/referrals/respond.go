package referrals

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// AcceptReferral is the receiver agreeing to provide the service: it gains
// the case key, and through CaseService the classes the referral grants.
func (s *Service) AcceptReferral(ctx context.Context, req *casebridgev1.AcceptReferralRequest) (*casebridgev1.AcceptReferralResponse, error) {
	r, err := s.apply(ctx, req.GetId(), req.GetEtag(), referral.Accept, "")
	return &casebridgev1.AcceptReferralResponse{Referral: r}, err
}

// DeclineReferral is the receiver refusing a pending referral.
func (s *Service) DeclineReferral(ctx context.Context, req *casebridgev1.DeclineReferralRequest) (*casebridgev1.DeclineReferralResponse, error) {
	r, err := s.apply(ctx, req.GetId(), req.GetEtag(), referral.Decline, req.GetReason())
	return &casebridgev1.DeclineReferralResponse{Referral: r}, err
}

// CompleteReferral is the receiver reporting the service provided; its
// access to the case ends.
func (s *Service) CompleteReferral(ctx context.Context, req *casebridgev1.CompleteReferralRequest) (*casebridgev1.CompleteReferralResponse, error) {
	r, err := s.apply(ctx, req.GetId(), req.GetEtag(), referral.Complete, "")
	return &casebridgev1.CompleteReferralResponse{Referral: r}, err
}

// WithdrawReferral is the referring organisation cancelling its referral;
// any access it granted ends.
func (s *Service) WithdrawReferral(ctx context.Context, req *casebridgev1.WithdrawReferralRequest) (*casebridgev1.WithdrawReferralResponse, error) {
	r, err := s.apply(ctx, req.GetId(), req.GetEtag(), referral.Withdraw, req.GetReason())
	return &casebridgev1.WithdrawReferralResponse{Referral: r}, err
}

// RevokeSharing is the case's owner ending the access an accepted referral
// granted, at once.
func (s *Service) RevokeSharing(ctx context.Context, req *casebridgev1.RevokeSharingRequest) (*casebridgev1.RevokeSharingResponse, error) {
	r, err := s.apply(ctx, req.GetId(), req.GetEtag(), referral.Revoke, req.GetReason())
	return &casebridgev1.RevokeSharingResponse{Referral: r}, err
}

// apply makes transition t on referral id in one transaction: the status,
// the case key the change grants or takes away, and the events for both
// organisations (written last) commit together.
func (s *Service) apply(ctx context.Context, id, etag string, t referral.Transition, reason string) (*casebridgev1.Referral, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id = canonical(id)
	var out *referralRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := getReferral(ctx, tx, id, false)
		if err != nil {
			return err
		}
		audit.Concerns(ctx, "", r.CaseID)
		if err := s.mayMake(p, r, t); err != nil {
			return err
		}
		org := t.ActingOrg(r.From, r.To)
		audit.Concerns(ctx, org, "")
		// Case first, then referral: the order consent withdrawal and
		// erasure lock in too.
		if err := lockCase(ctx, tx, r.CaseID); err != nil {
			return err
		}
		if r, err = getReferral(ctx, tx, id, true); err != nil {
			return err
		}
		if etag != "" && etag != r.etag() {
			return rpcerr.Aborted("referral %s was changed by someone else since you read it (stale etag): read it again and retry", id)
		}
		if err := t.Check(r.Status); err != nil {
			return err
		}
		if t.To == referral.Accepted {
			if err := acceptable(ctx, tx, r); err != nil {
				return err
			}
		}
		var texts []byte
		if reason != "" && t.TakesReason() {
			// A reason is free text about the person: it joins the
			// message, sealed together, and no plain column keeps it.
			if err := s.openTexts(ctx, tx, org, r); err != nil {
				return err
			}
			rt := referralTexts{Message: r.Message, DeclineReason: r.DeclineReason, EndReason: r.EndReason}
			if t.To == referral.Declined {
				rt.DeclineReason = reason
			} else {
				rt.EndReason = reason
			}
			if texts, err = s.sealTexts(ctx, tx, r.CaseID, r.ID, rt); err != nil {
				return err
			}
			reason = ""
		}
		if err := saveStatus(ctx, tx, r.ID, t.To, reason, texts); err != nil {
			return err
		}
		switch {
		case t.To == referral.Accepted:
			err = referral.Granted(ctx, tx, s.keys, r.CaseID, r.To)
		case t.EndsAccess(r.Status):
			err = referral.Ended(ctx, tx, s.keys, r.CaseID, r.To)
		}
		if err != nil {
			return err
		}
		if out, err = getReferral(ctx, tx, id, false); err != nil {
			return err
		}
		if err := s.openTextsAt(ctx, tx, org, out, r.Status); err != nil {
			return err
		}
		// The audit event before the outbox: Flush takes the global outbox
		// lock, held to commit, and must stay the last thing done.
		if err := s.audit.InTx(ctx, tx, org, r.CaseID, textClasses(out.Texts)); err != nil {
			return err
		}
		var events referral.Outbox
		if err := events.Referrals(ctx, tx, t.Event, r.ID); err != nil {
			return err
		}
		return events.Flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out.toProto(), nil
}

// mayMake decides whether the caller may make t on r: someone outside both
// organisations does not learn that r exists (NotFound); someone who can see
// it but is on the wrong side, or whose role lacks the action, is refused.
func (s *Service) mayMake(p authz.Principal, r *referralRow, t referral.Transition) error {
	if !s.visible(p, r) {
		return referralNotFound(r.ID)
	}
	org, who := t.ActingOrg(r.From, r.To), "receiving"
	if t.By == referral.Sender {
		who = "referring"
	}
	if !p.IsMember(org) {
		return rpcerr.PermissionDenied("only the %s organisation (%s) may %s referral %s", who, org, t.Verb, r.ID)
	}
	if !s.authz.Allowed(p, org, objReferral, t.Act) {
		return rpcerr.PermissionDenied("your role in %s may not %s referrals", org, t.Verb)
	}
	return nil
}

// acceptable checks what must still hold when a referral is accepted: the
// case is not erased and the consent it relies on is still in force (it may
// have expired while the referral was pending).
func acceptable(ctx context.Context, tx pgx.Tx, r *referralRow) error {
	if r.CaseErased {
		return rpcerr.FailedPrecondition("case %s is erased", r.CaseID)
	}
	if r.ConsentID == nil {
		return rpcerr.FailedPrecondition("referral %s relies on no consent", r.ID)
	}
	return referral.CheckInForce(ctx, tx, *r.ConsentID, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_UNSPECIFIED,
		fmt.Sprintf("the consent %s that referral %s relies on", *r.ConsentID, r.ID), "the referral cannot be accepted")
}
