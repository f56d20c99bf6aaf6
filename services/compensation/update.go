package compensation

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// claimPaths are the fields UpdateClaim may change; status, award and
// payments have their own methods.
var claimPaths = []string{"proceeding_id", "type", "respondent", "amount_claimed"}

// UpdateClaim changes the masked fields if the etag is current, in one
// transaction. The amount claimed may change at any time (claims are often
// amended), its currency only while nothing was awarded or paid.
func (s *Service) UpdateClaim(ctx context.Context, req *casebridgev1.UpdateClaimRequest) (*casebridgev1.UpdateClaimResponse, error) {
	in := req.GetClaim()
	if _, err := uuid.Parse(in.GetId()); err != nil || len(in.GetId()) != 36 {
		return nil, rpcerr.InvalidArgument("claim.id", "must be a UUID")
	}
	paths := req.GetUpdateMask().GetPaths()
	for _, path := range paths {
		if !slices.Contains(claimPaths, path) {
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q (allowed: %s)", path, strings.Join(claimPaths, ", "))
		}
	}
	if slices.Contains(paths, "amount_claimed") {
		if err := checkMoney("claim.amount_claimed", in.GetAmountClaimed()); err != nil {
			return nil, err
		}
	}
	c, ch, err := s.mutateClaim(ctx, in.GetId(), objClaim, actUpdate, func(tx pgx.Tx, _ authz.Principal, c *claimRow) error {
		if err := checkEtag(c, req.GetEtag(), true); err != nil {
			return err
		}
		for _, path := range paths {
			switch path {
			case "proceeding_id":
				if err := checkProceeding(ctx, tx, "claim.proceeding_id", c.CaseID, in.GetProceedingId()); err != nil {
					return err
				}
				c.ProceedingID = in.GetProceedingId()
			case "type":
				c.Type = in.GetType()
			case "respondent":
				c.RespondentKind, c.RespondentName = in.GetRespondent().GetKind(), in.GetRespondent().GetName()
			case "amount_claimed":
				if err := setClaimed(ctx, tx, c, in.GetAmountClaimed()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, ch, c.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.UpdateClaimResponse{Claim: out}, nil
}

// setClaimed changes (or, when m is nil, clears) the amount claimed. The
// claim's currency follows it only while no award or payment is in the old
// one: after that a different currency would mix two in one claim.
func setClaimed(ctx context.Context, tx pgx.Tx, c *claimRow, m *casebridgev1.Money) error {
	fixed := c.Awarded != nil
	if !fixed {
		var err error
		if fixed, err = hasPayments(ctx, tx, c.ID); err != nil {
			return err
		}
	}
	switch {
	case m == nil:
		c.Claimed = nil
		if !fixed {
			c.Currency = ""
		}
	case fixed:
		if err := sameCurrency("claim.amount_claimed", c.Currency, m); err != nil {
			return err
		}
		fallthrough
	default:
		amount := m.GetAmountMinor()
		c.Currency, c.Claimed = m.GetCurrencyCode(), &amount
	}
	if c.Status == awarded || c.Status == partiallyAwarded {
		c.Status = awardStatus(c)
	}
	return nil
}
