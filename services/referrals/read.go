package referrals

import (
	"context"
	"slices"
	"strconv"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetReferral returns a referral to the organisation that sent or received
// it; to anyone else it does not exist.
func (s *Service) GetReferral(ctx context.Context, req *casebridgev1.GetReferralRequest) (*casebridgev1.GetReferralResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := getReferral(ctx, s.pool, canonical(req.GetId()), false)
	if err != nil {
		return nil, err
	}
	audit.Concerns(ctx, "", r.CaseID)
	org := s.readerOrg(p, r)
	if org == "" {
		return nil, referralNotFound(r.ID)
	}
	if err := s.openTexts(ctx, s.pool, org, r); err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetReferralResponse{Referral: r.toProto()}
	// Coded attributes and the referral's own texts: a read of the case.
	if err := s.audit.Read(ctx, org, r.CaseID, textClasses(r.Texts)); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListReferrals lists the referrals one organisation of the caller sent or
// received, newest first, with their texts (message, decline reason: one
// audited read per case whose texts it returns), by keyset pagination on insertion order so that
// referrals made meanwhile neither repeat nor displace others.
func (s *Service) ListReferrals(ctx context.Context, req *casebridgev1.ListReferralsRequest) (*casebridgev1.ListReferralsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.authz.ListOrgs(p, listScope, req.GetOrganizationId())
	if err != nil {
		return nil, err
	}
	f := listFilter{org: orgs[0], limit: pagetoken.Size(req.GetPageSize(), 50, 500)}
	switch req.GetDirection() {
	case casebridgev1.ReferralDirection_REFERRAL_DIRECTION_INCOMING:
		f.incoming = true
	case casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING:
		f.outgoing = true
	default:
		f.incoming, f.outgoing = true, true
	}
	for _, st := range req.GetStatuses() {
		f.statuses = append(f.statuses, int16(st))
	}
	slices.Sort(f.statuses)
	if req.GetCaseId() != "" {
		id := canonical(req.GetCaseId())
		f.caseID = &id
	}
	fp := pagetoken.Fingerprint(p.Subject, f.org, f.incoming, f.outgoing, f.statuses, req.GetCaseId())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	if keys != nil {
		if f.beforeSeq, err = strconv.ParseInt(keys[0], 10, 64); err != nil || f.beforeSeq <= 0 {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
	}
	rows, more, err := listReferrals(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	read := map[string]bool{}
	for _, r := range rows {
		if err := s.openTexts(ctx, s.pool, f.org, r); err != nil {
			return nil, err
		}
		if r.Texts != nil && !read[r.CaseID] {
			read[r.CaseID] = true
			if err := s.audit.Read(ctx, f.org, r.CaseID, textClasses(r.Texts)); err != nil {
				return nil, err
			}
		}
	}
	resp := &casebridgev1.ListReferralsResponse{}
	for _, r := range rows {
		resp.Referrals = append(resp.Referrals, r.toProto())
	}
	if more && len(rows) > 0 {
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	return resp, nil
}
