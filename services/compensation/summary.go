package compensation

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/authz"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetClaimSummary totals a case's claims per currency — claimed, awarded,
// paid and outstanding — sorted by currency code. Amounts in different
// currencies are never added together. A claim with no amount at all yet
// has no currency and is not counted.
func (s *Service) GetClaimSummary(ctx context.Context, req *casebridgev1.GetClaimSummaryRequest) (*casebridgev1.GetClaimSummaryResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := req.GetCaseId()
	acc, err := s.access(ctx, s.pool, p, caseID, objClaim, authz.ActRead, false, caseNotFound(caseID))
	if err != nil {
		return nil, err
	}
	claims, err := s.claimsOfCase(ctx, s.pool, caseID)
	if err != nil {
		return nil, err
	}
	totals, err := summarize(claims)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetClaimSummaryResponse{Totals: totals}
	// Amounts only: no sealed text is opened.
	if err := s.recordRead(ctx, acc.Org, caseID, false); err != nil {
		return nil, err
	}
	return resp, nil
}

// errTooLarge reports totals beyond int64, which the per-amount bound makes
// practically impossible; it is an internal error, not the client's.
var errTooLarge = errors.New("claim totals overflow int64")

// summarize adds up claims per currency, in integer minor units.
func summarize(claims []*claimRow) ([]*casebridgev1.ClaimTotals, error) {
	type sums struct {
		count                               int32
		claimed, awarded, paid, outstanding int64
	}
	by := map[string]*sums{}
	for _, c := range claims {
		if c.Currency == "" {
			continue
		}
		t := by[c.Currency]
		if t == nil {
			t = &sums{}
			by[c.Currency] = t
		}
		t.count++
		var claimed, awardedAmt int64
		if c.Claimed != nil {
			claimed = *c.Claimed
		}
		if c.Awarded != nil {
			awardedAmt = *c.Awarded
		}
		for _, step := range []struct {
			into *int64
			v    int64
		}{{&t.claimed, claimed}, {&t.awarded, awardedAmt}, {&t.paid, c.Paid}, {&t.outstanding, c.outstanding()}} {
			sum, ok := add(*step.into, step.v)
			if !ok {
				return nil, errTooLarge
			}
			*step.into = sum
		}
	}
	out := make([]*casebridgev1.ClaimTotals, 0, len(by))
	for cur, t := range by {
		out = append(out, &casebridgev1.ClaimTotals{
			CurrencyCode: cur, ClaimCount: t.count,
			Claimed: money(cur, t.claimed), Awarded: money(cur, t.awarded),
			Paid: money(cur, t.paid), Outstanding: money(cur, t.outstanding),
		})
	}
	slices.SortFunc(out, func(a, b *casebridgev1.ClaimTotals) int { return strings.Compare(a.CurrencyCode, b.CurrencyCode) })
	return out, nil
}
