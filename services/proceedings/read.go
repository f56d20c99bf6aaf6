package proceedings

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetProceeding returns one proceeding: its status is readable by everyone
// who may read proceedings on the case, caseworkers of the owner included.
func (s *Service) GetProceeding(ctx context.Context, req *casebridgev1.GetProceedingRequest) (*casebridgev1.GetProceedingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, acc, err := s.proceedingAccess(ctx, s.pool, p, req.GetId(), objProceeding, authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	r, err := s.getProceeding(ctx, s.pool, req.GetId(), false)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetProceedingResponse{Proceeding: r.toProto()}
	if err := s.recordRead(ctx, acc.Org, caseID, legalIf(proceedingLegal(resp.Proceeding))...); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListProceedings lists the proceedings of the cases the caller can see —
// owned by their organisations or shared with them — most recently changed
// first.
func (s *Service) ListProceedings(ctx context.Context, req *casebridgev1.ListProceedingsRequest) (*casebridgev1.ListProceedingsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetCaseId() != "" {
		// A case the caller may not see is NotFound, not an empty list.
		if _, err := s.access(ctx, s.pool, p, req.GetCaseId(), objProceeding, authz.ActRead, false, caseNotFound(req.GetCaseId())); err != nil {
			return nil, err
		}
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetCaseId(), req.GetResponsibleLawyer(), req.GetStrategicOnly())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 2)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	f := listFilter{
		orgs:   s.authz.OrgsAllowed(p, objProceeding, authz.ActRead),
		caseID: req.GetCaseId(), lawyer: req.GetResponsibleLawyer(), strategic: req.GetStrategicOnly(),
		limit: pagetoken.Size(req.GetPageSize(), 50, 500),
	}
	if keys != nil {
		if f.afterTime, f.afterID, err = timeKey(keys); err != nil {
			return nil, err
		}
	}
	rows, more, err := s.listProceedings(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.CaseID
	}
	readable, err := s.gate.Readable(ctx, s.pool, p, ids, objProceeding, authz.ActRead)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListProceedingsResponse{}
	var reads audit.ReadSet
	for _, r := range rows {
		if acc, ok := readable[r.CaseID]; ok {
			m := r.toProto()
			resp.Proceedings = append(resp.Proceedings, m)
			reads.Add(acc.Org, r.CaseID, legalNames(proceedingLegal(m)))
		}
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

// timeKey decodes a (time, id) keyset position.
func timeKey(keys []string) (*time.Time, string, error) {
	t, err := time.Parse(time.RFC3339Nano, keys[0])
	if err != nil || len(keys[1]) != 36 {
		return nil, "", rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
	}
	return &t, keys[1], nil
}
