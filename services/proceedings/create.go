package proceedings

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/requestid"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CreateProceeding records a proceeding on a case in one transaction. The
// responsible lawyer defaults to the caller when they are a lawyer of the
// organisation they act for.
func (s *Service) CreateProceeding(ctx context.Context, req *casebridgev1.CreateProceedingRequest) (*casebridgev1.CreateProceedingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, caseID := req.GetProceeding(), req.GetCaseId()
	if err := checkFields(in, editablePaths, s.now()); err != nil {
		return nil, err
	}
	r := &proceedingRow{ID: uuid.NewString(), CaseID: caseID, Stage: in.GetStage(), CreatedBy: p.Subject}
	if err := apply(r, in, editablePaths); err != nil {
		return nil, err
	}
	if r.Stage == casebridgev1.ProceedingStage_PROCEEDING_STAGE_UNSPECIFIED {
		r.Stage = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION
	}
	if err := settleStrategic(r, in.GetStrategicGoal() != ""); err != nil {
		return nil, err
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the case's: its unique index is (case_id, request_id).
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return proceedingByRequest(ctx, q, caseID, rid)
		}}
	id := r.ID
	var acc authz.Access
	written := false // legal text, by this call, in a committed transaction
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if acc, err = s.access(ctx, tx, p, caseID, objProceeding, actCreate, true, caseNotFound(caseID)); err != nil {
			return err
		}
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if r.Lawyer == "" && caseaccess.IsLawyer(p, acc.Org) {
			r.Lawyer = p.Subject
		}
		if err := caseaccess.CheckLawyer(ctx, tx, "proceeding.responsible_lawyer", caseID, r.Lawyer); err != nil {
			return err
		}
		inserted, err := s.insertProceeding(ctx, tx, r, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = !r.texts().empty()
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		written = false // rolled back
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	row, err := s.getProceeding(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	out := row.toProto()
	// A retried create returns, decrypted, what the first attempt wrote.
	if err := s.recordReturned(ctx, acc.Org, caseID, written, proceedingLegal(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.CreateProceedingResponse{Proceeding: out}, nil
}
