package casectl

import (
	"context"
	"fmt"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/explain"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// referralFor finds the referral an accept, decline, complete or withdraw
// is about: a referral id, or the case reference of the one referral in
// direction and statuses. A receiver cannot look the case up before it
// accepts (the case is not shared yet), so a reference is matched against
// the case_reference the referral carries instead.
func referralFor(ctx context.Context, c *clients, arg string, direction casebridgev1.ReferralDirection, statuses ...casebridgev1.ReferralStatus) (*casebridgev1.Referral, error) {
	if isID(arg) {
		resp, err := c.referrals.GetReferral(ctx, &casebridgev1.GetReferralRequest{Id: arg})
		if err != nil {
			return nil, explain.Wrap(err, "referral %s", arg)
		}
		return resp.GetReferral(), nil
	}
	ref := strings.ToUpper(strings.TrimSpace(arg))
	var found []*casebridgev1.Referral
	err := eachReferral(ctx, c, &casebridgev1.ListReferralsRequest{Direction: direction, Statuses: statuses},
		func(r *casebridgev1.Referral) {
			if r.GetCaseReference() == ref {
				found = append(found, r)
			}
		})
	if err != nil {
		return nil, explain.Wrap(err, "look up referrals of %s", ref)
	}
	switch len(found) {
	case 0:
		return nil, explain.Wrap(notFound("referral"), "no %s referral of case %s", statusWords(statuses), ref)
	case 1:
		return found[0], nil
	default:
		ids := make([]string, len(found))
		for i, r := range found {
			ids[i] = r.GetId()
		}
		return nil, fmt.Errorf("case %s has %d such referrals: give the referral id (one of %s)", ref, len(found), strings.Join(ids, ", "))
	}
}

// maxListed bounds how many items a lookup pages through.
const maxListed = 5000

// eachReferral pages through ListReferrals.
func eachReferral(ctx context.Context, c *clients, req *casebridgev1.ListReferralsRequest, fn func(*casebridgev1.Referral)) error {
	req.PageSize = 500
	for seen := 0; seen < maxListed; {
		resp, err := c.referrals.ListReferrals(ctx, req)
		if err != nil {
			return err
		}
		for _, r := range resp.GetReferrals() {
			fn(r)
		}
		seen += len(resp.GetReferrals())
		if resp.GetNextPageToken() == "" {
			return nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil
}

func statusWords(statuses []casebridgev1.ReferralStatus) string {
	words := make([]string, len(statuses))
	for i, s := range statuses {
		words[i] = enumName(s)
	}
	return strings.Join(words, " or ")
}
