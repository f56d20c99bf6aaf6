package casework

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/approval"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/supportplan"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CreateSupportPlan starts the case's support plan as a draft, in one
// transaction; a retried create returns the plan the first attempt made.
func (s *Service) CreateSupportPlan(ctx context.Context, req *casebridgev1.CreateSupportPlanRequest) (*casebridgev1.CreateSupportPlanResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, caseID := req.GetPlan(), req.GetCaseId()
	if st := in.GetStatus(); st != 0 && st != supportplan.PlanDraft {
		return nil, rpcerr.InvalidArgument("plan.status", "a support plan starts as a draft")
	}
	review, err := parseDate("plan.review_date", in.GetReviewDate())
	if err != nil {
		return nil, err
	}
	row := &planRow{ID: uuid.NewString(), CaseID: caseID, Status: supportplan.PlanDraft, ReviewDate: review,
		Summary: in.GetSummary(), CreatedBy: p.Subject}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return planByRequest(ctx, q, caseID, rid)
		}}
	id, org, written := row.ID, "", false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, objPlan, actCreate, true, namedCase, caseNotFound(caseID))
		if err != nil {
			return err
		}
		org = acc.Org
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := f.CheckWorkable(); err != nil {
			return err
		}
		if cur, err := planInProgress(ctx, tx, caseID, false); err != nil {
			return err
		} else if cur != nil {
			return rpcerr.FailedPrecondition("case %s already has a support plan in progress (%s, %s): complete or cancel it first",
				caseID, cur.ID, supportplan.Plan.Word(cur.Status))
		}
		if err := s.sealPlan(ctx, tx, row); err != nil {
			return err
		}
		inserted, err := insertPlan(ctx, tx, row, req.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = row.Summary != ""
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		written = false
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.answerPlan(ctx, org, caseID, id, written)
	return &casebridgev1.CreateSupportPlanResponse{Plan: out}, err
}

// answerPlan loads plan id of the case with its objectives and actions,
// opened, and records the read of the care text it returns unless the
// call's change event already names the class.
func (s *Service) answerPlan(ctx context.Context, org, caseID, id string, written bool) (*casebridgev1.SupportPlan, error) {
	row, err := s.loadPlan(ctx, s.pool, caseID, id)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, planNotFound(id)
	}
	out := row.toProto()
	if err := s.recordReturned(ctx, org, caseID, written, planCarries(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// loadPlan loads and opens plan id of case caseID (id "": the latest);
// nil when there is none.
func (s *Service) loadPlan(ctx context.Context, q db.Querier, caseID, id string) (*planRow, error) {
	row, err := getPlan(ctx, q, caseID, id, false)
	if err != nil || row == nil {
		return nil, err
	}
	if err := loadItems(ctx, q, row); err != nil {
		return nil, err
	}
	if err := s.openPlan(ctx, q, row); err != nil {
		return nil, err
	}
	return row, nil
}

// GetSupportPlan returns a plan of the case with its objectives and
// actions; an audited read of the care class.
func (s *Service) GetSupportPlan(ctx context.Context, req *casebridgev1.GetSupportPlanRequest) (*casebridgev1.GetSupportPlanResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := req.GetCaseId()
	acc, _, err := s.access(ctx, s.pool, p, caseID, objPlan, actRead, false, namedCase, caseNotFound(caseID))
	if err != nil {
		return nil, err
	}
	row, err := s.loadPlan(ctx, s.pool, caseID, req.GetId())
	if err != nil {
		return nil, err
	}
	if row == nil {
		if req.GetId() != "" {
			return nil, planNotFound(req.GetId())
		}
		return nil, rpcerr.NotFound("case %s has no support plan", caseID)
	}
	out := row.toProto()
	if err := s.recordRead(ctx, acc.Org, caseID, planCarries(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.GetSupportPlanResponse{Plan: out}, nil
}

// UpdateSupportPlan changes the summary, review date or status of a plan.
func (s *Service) UpdateSupportPlan(ctx context.Context, req *casebridgev1.UpdateSupportPlanRequest) (*casebridgev1.UpdateSupportPlanResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, paths := req.GetPlan(), req.GetUpdateMask().GetPaths()
	has := func(f string) bool { return slices.Contains(paths, f) }
	if len(paths) == 0 {
		return nil, rpcerr.InvalidArgument("update_mask", "must name at least one field")
	}
	review, err := parseDate("plan.review_date", in.GetReviewDate())
	if err != nil {
		return nil, err
	}
	if has("status") && in.GetStatus() == 0 {
		return nil, rpcerr.InvalidArgument("plan.status", "is required when update_mask names it")
	}
	id := in.GetId()
	caseID, err := caseOf(ctx, s.pool, tablePlans, id)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, planNotFound(id)
	}
	var org string
	written := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, objPlan, actUpdate, true, namedRecord, planNotFound(id))
		if err != nil {
			return err
		}
		org = acc.Org
		row, err := getPlan(ctx, tx, caseID, id, true)
		if err != nil {
			return err
		}
		if row == nil {
			return planNotFound(id)
		}
		if err := checkEtag("support plan", id, req.GetEtag(), row.Version); err != nil {
			return err
		}
		if err := f.CheckWorkable(); err != nil {
			return err
		}
		need, err := approval.Required(ctx, tx, f.Owner, approval.SupportPlan)
		if err != nil {
			return err
		}
		if has("summary") || has("review_date") {
			if err := supportplan.CheckEditable(row.Status, need); err != nil {
				return err
			}
		}
		if has("status") {
			if err := supportplan.CheckActivate(row.Status, in.GetStatus(), need); err != nil {
				return err
			}
			if row.Status != supportplan.PlanActive && in.GetStatus() == supportplan.PlanActive {
				now := s.now()
				row.ActivateTime = &now
			}
			row.Status = in.GetStatus()
		}
		if has("review_date") {
			row.ReviewDate = review
		}
		if has("summary") {
			row.Summary = in.GetSummary()
			if err := s.sealPlan(ctx, tx, row); err != nil {
				return err
			}
			written = row.Summary != ""
		}
		if err := savePlan(ctx, tx, row); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answerPlan(ctx, org, caseID, id, written)
	return &casebridgev1.UpdateSupportPlanResponse{Plan: out}, err
}
