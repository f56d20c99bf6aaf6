package compensation

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/requestid"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CreateClaim records a claim as a draft, in one transaction. Its currency
// is the one of the amount claimed, or of the first award when the amount
// claimed is not known yet.
func (s *Service) CreateClaim(ctx context.Context, req *casebridgev1.CreateClaimRequest) (*casebridgev1.CreateClaimResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, caseID := req.GetClaim(), req.GetCaseId()
	if err := checkMoney("claim.amount_claimed", in.GetAmountClaimed()); err != nil {
		return nil, err
	}
	c := &claimRow{
		ID: uuid.NewString(), CaseID: caseID, ProceedingID: in.GetProceedingId(), Type: in.GetType(),
		RespondentKind: in.GetRespondent().GetKind(), RespondentName: in.GetRespondent().GetName(),
		Status: draft, CreatedBy: p.Subject,
	}
	if m := in.GetAmountClaimed(); m != nil {
		amount := m.GetAmountMinor()
		c.Currency, c.Claimed = m.GetCurrencyCode(), &amount
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the case's: its unique index is (case_id, request_id).
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return claimByRequest(ctx, q, caseID, rid)
		}}
	id := c.ID
	ch := claimChange{caseID: caseID} // written: legal text, by this call, in a committed transaction
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if ch.acc, err = s.access(ctx, tx, p, caseID, objClaim, actCreate, true, caseNotFound(caseID)); err != nil {
			return err
		}
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := checkProceeding(ctx, tx, "claim.proceeding_id", caseID, c.ProceedingID); err != nil {
			return err
		}
		inserted, err := s.insertClaim(ctx, tx, c, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		ch.written = c.texts() != claimTexts{}
		return s.recordChange(ctx, tx, ch.acc.Org, caseID, ch.written)
	})
	if err != nil {
		ch.written = false // rolled back
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	row, err := s.getClaim(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	// A retried create returns, decrypted, what the first attempt wrote.
	out, err := s.answer(ctx, ch, row.toProto())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.CreateClaimResponse{Claim: out}, nil
}
