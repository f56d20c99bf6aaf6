package proceedings

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// scheduleParent resolves the proceeding or case a ListHearings or
// ListDeadlines request names to the case whose access decides, checking
// obj/read there, and returns that case. A proceeding of another case than
// the one named is NotFound: it is not among that case's.
func (s *Service) scheduleParent(ctx context.Context, p authz.Principal, proceedingID, caseID, obj string) (string, authz.Access, error) {
	if proceedingID == "" {
		acc, err := s.access(ctx, s.pool, p, caseID, obj, authz.ActRead, false, caseNotFound(caseID))
		return caseID, acc, err
	}
	procCase, acc, err := s.proceedingAccess(ctx, s.pool, p, proceedingID, obj, authz.ActRead, false)
	if err != nil {
		return "", authz.Access{}, err
	}
	if caseID != "" && caseID != procCase {
		return "", authz.Access{}, proceedingNotFound(proceedingID)
	}
	return procCase, acc, nil
}

// ListHearings lists the hearings of a proceeding or a case, earliest
// first. The BASIC view (the default) decrypts nothing.
func (s *Service) ListHearings(ctx context.Context, req *casebridgev1.ListHearingsRequest) (*casebridgev1.ListHearingsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, acc, err := s.scheduleParent(ctx, p, req.GetProceedingId(), req.GetCaseId(), objHearing)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetProceedingId(), req.GetCaseId(), req.GetStatus(), req.GetView())
	f, err := scheduleQuery(req.GetPageToken(), fp, req.GetPageSize())
	if err != nil {
		return nil, err
	}
	f.proceedingID, f.caseID, f.status = req.GetProceedingId(), req.GetCaseId(), int16(req.GetStatus())
	rows, more, err := s.listHearings(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	full := req.GetView() == casebridgev1.HearingView_HEARING_VIEW_FULL
	hearings, err := s.renderHearings(ctx, s.pool, p, acc, rows, full)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListHearingsResponse{Hearings: hearings}
	if more && len(rows) > 0 {
		last := rows[len(rows)-1]
		resp.NextPageToken = pagetoken.Encode(fp, last.Start.Format(time.RFC3339Nano), last.ID)
	}
	// One case's hearings: legal when any returned notes, an outcome or a
	// cancellation reason.
	if err := s.recordRead(ctx, acc.Org, caseID, legalIf(hearingsLegal(hearings))...); err != nil {
		return nil, err
	}
	return resp, nil
}

// scheduleQuery decodes the paging part of a hearing or deadline list.
func scheduleQuery(token, fp string, size int32) (scheduleFilter, error) {
	f := scheduleFilter{limit: pagetoken.Size(size, 50, 500)}
	keys, err := pagetoken.Decode(token, fp, 2)
	if err != nil {
		return f, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	if keys != nil {
		if f.afterTime, f.afterID, err = timeKey(keys); err != nil {
			return f, err
		}
	}
	return f, nil
}
