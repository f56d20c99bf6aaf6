package transfers

import (
	"context"
	"strconv"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetTransfer returns a transfer to its sending or receiving organisation;
// to anyone else it does not exist. It carries no victim data.
func (s *Service) GetTransfer(ctx context.Context, req *casebridgev1.GetTransferRequest) (*casebridgev1.GetTransferResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := getTransfer(ctx, s.pool, canonical(req.GetId()), false)
	if err != nil {
		return nil, err
	}
	if !s.visible(p, t) {
		return nil, transferNotFound(req.GetId())
	}
	audit.Concerns(ctx, "", t.CaseID)
	return &casebridgev1.GetTransferResponse{Transfer: t.protoFor(s.readOrgs(p))}, nil
}

// ListTransfers lists the transfers the caller's organisations sent or
// received, newest first.
func (s *Service) ListTransfers(ctx context.Context, req *casebridgev1.ListTransfersRequest) (*casebridgev1.ListTransfersResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	orgs := s.readOrgs(p)
	if len(orgs) == 0 {
		return nil, rpcerr.PermissionDenied("your roles do not allow reading transfers in any organisation")
	}
	f := listFilter{orgs: orgs, caseID: canonical(req.GetCaseId()), status: req.GetStatus(), limit: pagetoken.Size(req.GetPageSize(), 50, 500)}
	fp := pagetoken.Fingerprint(p.Subject, f.caseID, int(f.status))
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
	}
	if keys != nil {
		if f.after, err = strconv.ParseInt(keys[0], 10, 64); err != nil || f.after <= 0 {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
	}
	rows, err := listTransfers(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListTransfersResponse{}
	if len(rows) > f.limit {
		rows = rows[:f.limit]
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	for _, t := range rows {
		resp.Transfers = append(resp.Transfers, t.protoFor(orgs))
	}
	return resp, nil
}
