package compensation

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/doclinks"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetClaim returns one claim with its amounts: caseworkers of the owner
// read it as well as the lawyers (the ledger itself is the lawyers').
func (s *Service) GetClaim(ctx context.Context, req *casebridgev1.GetClaimRequest) (*casebridgev1.GetClaimResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, acc, err := s.claimAccess(ctx, s.pool, p, req.GetId(), objClaim, authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	c, err := s.getClaim(ctx, s.pool, req.GetId(), false)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetClaimResponse{Claim: c.toProto()}
	if err := s.fileDocuments(ctx, s.pool, []*casebridgev1.Claim{resp.Claim}, []authz.Access{acc}); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, acc.Org, caseID, claimLegal(resp.Claim)); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListClaims lists the claims of the cases the caller can see, most
// recently changed first.
func (s *Service) ListClaims(ctx context.Context, req *casebridgev1.ListClaimsRequest) (*casebridgev1.ListClaimsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetCaseId() != "" {
		// A case the caller may not see is NotFound, not an empty list.
		if _, err := s.access(ctx, s.pool, p, req.GetCaseId(), objClaim, authz.ActRead, false, caseNotFound(req.GetCaseId())); err != nil {
			return nil, err
		}
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetCaseId(), req.GetStatus(), req.GetProceedingId())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 2)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	f := claimFilter{
		orgs:   s.authz.OrgsAllowed(p, objClaim, authz.ActRead),
		caseID: req.GetCaseId(), status: int16(req.GetStatus()), proceedingID: req.GetProceedingId(),
		limit: pagetoken.Size(req.GetPageSize(), 50, 500),
	}
	if keys != nil {
		t, err := time.Parse(time.RFC3339Nano, keys[0])
		if err != nil || len(keys[1]) != 36 {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
		f.afterTime, f.afterID = &t, keys[1]
	}
	rows, more, err := s.listClaims(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, c := range rows {
		ids[i] = c.CaseID
	}
	readable, err := s.gate.Readable(ctx, s.pool, p, ids, objClaim, authz.ActRead)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListClaimsResponse{}
	var reads audit.ReadSet
	var accs []authz.Access
	for _, c := range rows {
		if acc, ok := readable[c.CaseID]; ok {
			m := c.toProto()
			resp.Claims = append(resp.Claims, m)
			accs = append(accs, acc)
			reads.Add(acc.Org, c.CaseID, legalIf(claimLegal(m)))
		}
	}
	if err := s.fileDocuments(ctx, s.pool, resp.Claims, accs); err != nil {
		return nil, err
	}
	if err := s.recordReads(ctx, &reads); err != nil {
		return nil, err
	}
	if more && len(rows) > 0 {
		last := rows[len(rows)-1]
		resp.NextPageToken = pagetoken.Encode(fp, last.UpdateTime.Format(time.RFC3339Nano), last.ID)
	}
	return resp, nil
}

// fileDocuments sets on each claim the ids of the documents filed with it
// that the caller sees, accs[i] being its access to claims[i]'s case. A
// caller reaching a claim reaches the case's court data, so the classes
// its access reads decide.
func (s *Service) fileDocuments(ctx context.Context, q db.Querier, claims []*casebridgev1.Claim, accs []authz.Access) error {
	sight := make(map[string]caseaccess.DocumentSight, len(claims))
	for i, c := range claims {
		sight[c.GetId()] = caseaccess.CourtSight(accs[i])
	}
	ids, err := doclinks.IDs(ctx, q, doclinks.Claim, sight)
	if err != nil {
		return err
	}
	for _, c := range claims {
		c.DocumentIds = ids[c.GetId()]
	}
	return nil
}
