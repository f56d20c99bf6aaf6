package referrals

import (
	"context"
	"errors"
	"slices"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetCaseSharing shows every organisation working on a case — its owner,
// and each receiver of an accepted or completed referral on it — where the
// case and each of its referrals stand, so they can coordinate. It carries
// no sensitive data, no message and no granted classes: a receiver learns
// who else works on the case, not what they were shown. To anyone else,
// including a receiver whose referral is pending or ended otherwise, the
// case does not exist.
//
// What each sees is shown(): the owner every referral; a current partner
// its own and those of the organisations working on the case; a past
// partner (its referral completed) its own alone — where the person is
// being moved next is no longer its business — and not the case's status,
// which only an organisation the case is visible to (caseaccess) follows.
func (s *Service) GetCaseSharing(ctx context.Context, req *casebridgev1.GetCaseSharingRequest) (*casebridgev1.GetCaseSharingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id := canonical(req.GetCaseId())
	out := &casebridgev1.CaseSharing{CaseId: id}
	facts, err := caseaccess.Load(ctx, s.pool, id, false)
	if errors.Is(err, caseaccess.ErrNoCase) {
		return nil, caseNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if out.CaseReference, err = caseReference(ctx, s.pool, id); err != nil {
		return nil, err
	}
	out.OwnerOrganizationId = facts.Owner
	refs, err := caseReferrals(ctx, s.pool, id)
	if err != nil {
		return nil, err
	}
	org := worksOn(s.readOrgs(p), out.OwnerOrganizationId, refs)
	if org == "" {
		return nil, caseNotFound(id)
	}
	if facts.VisibleTo(org) {
		// Where the case stands is the visibility rule's to give: the
		// owner, a current partner and a follower see it; a past partner
		// (its referral completed) does not follow the case any more.
		out.CaseStatus = facts.Status
	}
	if !referredBy(org, out.OwnerOrganizationId, refs) {
		// The case moved on to an owner that never referred it to org:
		// who took it on, and under which reference, is not org's to know.
		out.OwnerOrganizationId, out.CaseReference = "", ""
	}
	for _, r := range refs {
		if shown(org, out.OwnerOrganizationId, refs, r) {
			out.Referrals = append(out.Referrals, r.summary())
		}
	}
	resp := &casebridgev1.GetCaseSharingResponse{Sharing: out}
	if err := s.audit.Read(ctx, org, id, nil); err != nil {
		return nil, err
	}
	return resp, nil
}

// worksOn returns the one of orgs that owns the case or received one of its
// referrals and accepted it (whether or not it is completed since), the
// owner first; "" when none does.
func worksOn(orgs []string, owner string, refs []*referralRow) string {
	if slices.Contains(orgs, owner) {
		return owner
	}
	for _, r := range refs {
		if referral.WorkedOn(r.Status) && slices.Contains(orgs, r.To) {
			return r.To
		}
	}
	return ""
}

// referredBy reports whether org owns the case or worked on a referral of
// it from its current owner; a partner of an owner that has since
// transferred the case does not.
func referredBy(org, owner string, refs []*referralRow) bool {
	if org == owner {
		return true
	}
	for _, r := range refs {
		if r.To == org && r.From == owner && referral.WorkedOn(r.Status) {
			return true
		}
	}
	return false
}

// shown reports whether org, which works on the case (worksOn), sees
// referral r of it in the coordination view.
func shown(org, owner string, refs []*referralRow, r *referralRow) bool {
	switch {
	case org == owner || r.To == org:
		return true
	case !partnerNow(org, refs):
		return false // a past partner sees its own referrals only
	}
	return referral.WorkedOn(r.Status)
}

// partnerNow reports whether an accepted referral shares the case with org.
func partnerNow(org string, refs []*referralRow) bool {
	for _, r := range refs {
		if r.To == org && referral.Shares(r.Status) {
			return true
		}
	}
	return false
}
