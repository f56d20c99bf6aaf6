package compensation

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// FileClaim moves a draft to filed, on the day given or today (UTC).
func (s *Service) FileClaim(ctx context.Context, req *casebridgev1.FileClaimRequest) (*casebridgev1.FileClaimResponse, error) {
	now := s.now()
	day := req.GetFiledDate()
	if err := checkDate("filed_date", day, now); err != nil {
		return nil, err
	}
	if day == "" {
		day = now.UTC().Format(time.DateOnly)
	}
	c, ch, err := s.mutateClaim(ctx, req.GetId(), objClaim, actUpdate, func(_ pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), false); err != nil {
			return err
		}
		if err := fileClaim.check(c.Status); err != nil {
			return err
		}
		c.Status, c.FiledDate = filed, day
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.FileClaimResponse{Claim: out}, nil
}

// AppealClaim marks a decided claim as appealed. The award under appeal
// stays recorded (and payable) until the appeal is decided.
func (s *Service) AppealClaim(ctx context.Context, req *casebridgev1.AppealClaimRequest) (*casebridgev1.AppealClaimResponse, error) {
	c, ch, err := s.mutateClaim(ctx, req.GetId(), objClaim, actUpdate, func(_ pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), false); err != nil {
			return err
		}
		if err := appealClaim.check(c.Status); err != nil {
			return err
		}
		c.Status, c.StatusReason = appealed, req.GetReason()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.AppealClaimResponse{Claim: out}, nil
}

// RecordAward records what a filed or appealed claim was awarded. A claim
// on appeal may have been paid something already: its status then reflects
// the ledger against the new award.
func (s *Service) RecordAward(ctx context.Context, req *casebridgev1.RecordAwardRequest) (*casebridgev1.RecordAwardResponse, error) {
	if err := checkMoney("amount", req.GetAmount()); err != nil {
		return nil, err
	}
	if err := checkDate("decision_date", req.GetDecisionDate(), s.now()); err != nil {
		return nil, err
	}
	c, ch, err := s.mutateClaim(ctx, req.GetId(), objClaim, actUpdate, func(_ pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), false); err != nil {
			return err
		}
		if err := recordAward.check(c.Status); err != nil {
			return err
		}
		if err := sameCurrency("amount", c.Currency, req.GetAmount()); err != nil {
			return err
		}
		amount := req.GetAmount().GetAmountMinor()
		c.Currency, c.Awarded = req.GetAmount().GetCurrencyCode(), &amount
		c.DecisionDate, c.StatusReason = req.GetDecisionDate(), ""
		c.Status = awardStatus(c)
		settle(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.RecordAwardResponse{Claim: out}, nil
}

// RejectClaim records that a filed or appealed claim was rejected; an award
// it had (before an appeal) no longer stands.
func (s *Service) RejectClaim(ctx context.Context, req *casebridgev1.RejectClaimRequest) (*casebridgev1.RejectClaimResponse, error) {
	if err := checkDate("decision_date", req.GetDecisionDate(), s.now()); err != nil {
		return nil, err
	}
	c, ch, err := s.mutateClaim(ctx, req.GetId(), objClaim, actUpdate, func(_ pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), false); err != nil {
			return err
		}
		if err := rejectClaim.check(c.Status); err != nil {
			return err
		}
		c.Status, c.Awarded = rejected, nil
		c.DecisionDate, c.StatusReason = req.GetDecisionDate(), req.GetReason()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.RejectClaimResponse{Claim: out}, nil
}

// MarkUnenforceable records that an award, or what remains of it, cannot be
// collected.
func (s *Service) MarkUnenforceable(ctx context.Context, req *casebridgev1.MarkUnenforceableRequest) (*casebridgev1.MarkUnenforceableResponse, error) {
	c, ch, err := s.mutateClaim(ctx, req.GetId(), objClaim, actUpdate, func(_ pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), false); err != nil {
			return err
		}
		if err := markUnenforceable.check(c.Status); err != nil {
			return err
		}
		c.Status, c.StatusReason = unenforceable, req.GetReason()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.MarkUnenforceableResponse{Claim: out}, nil
}
