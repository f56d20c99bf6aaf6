package casework

import (
	"context"
	"time"

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

// editablePlan loads plan id of the case owned by org, locked, and checks
// that it may change now. A content change (content) is held to the
// owner's approval setting; recording progress (a status, the date an
// action was done) on an approved plan is carrying it out, not changing it.
func editablePlan(ctx context.Context, tx pgx.Tx, caseID, id, org string, content bool) (*planRow, error) {
	plan, err := getPlan(ctx, tx, caseID, id, true)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		return nil, planNotFound(id)
	}
	need := false
	if content {
		if need, err = approval.Required(ctx, tx, org, approval.SupportPlan); err != nil {
			return nil, err
		}
	}
	return plan, supportplan.CheckEditable(plan.Status, need)
}

// AddObjective adds an objective, open, to a plan in progress.
func (s *Service) AddObjective(ctx context.Context, req *casebridgev1.AddObjectiveRequest) (*casebridgev1.AddObjectiveResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, planID := req.GetObjective(), req.GetPlanId()
	if st := in.GetStatus(); st != 0 && st != supportplan.ObjectiveOpen {
		return nil, rpcerr.InvalidArgument("objective.status", "an objective starts open")
	}
	target, err := parseDate("objective.target_date", in.GetTargetDate())
	if err != nil {
		return nil, err
	}
	caseID, err := caseOf(ctx, s.pool, tablePlans, planID)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, planNotFound(planID)
	}
	row := &objectiveRow{ID: uuid.NewString(), PlanID: planID, CaseID: caseID, Status: supportplan.ObjectiveOpen,
		TargetDate: target, Description: in.GetDescription()}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return objectiveByRequest(ctx, q, planID, rid)
		}}
	id, org, written := row.ID, "", false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, objPlan, actUpdate, true, namedRecord, planNotFound(planID))
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
		if _, err := editablePlan(ctx, tx, caseID, planID, f.Owner, true); err != nil {
			return err
		}
		if n, err := countObjectives(ctx, tx, planID); err != nil {
			return err
		} else if n >= maxObjectives {
			return rpcerr.FailedPrecondition("a support plan holds at most %d objectives", maxObjectives)
		}
		if err := s.sealObjective(ctx, tx, row); err != nil {
			return err
		}
		inserted, err := insertObjective(ctx, tx, row, req.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = true
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		written = false
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.answerObjective(ctx, org, caseID, id, written)
	return &casebridgev1.AddObjectiveResponse{Objective: out}, err
}

func (s *Service) answerObjective(ctx context.Context, org, caseID, id string, written bool) (*casebridgev1.Objective, error) {
	row, err := getObjective(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.openObjective(ctx, s.pool, row); err != nil {
		return nil, err
	}
	out := row.toProto()
	return out, s.recordReturned(ctx, org, caseID, written, objectiveCarries(out))
}

// UpdateObjective changes an objective's description, status or target date.
func (s *Service) UpdateObjective(ctx context.Context, req *casebridgev1.UpdateObjectiveRequest) (*casebridgev1.UpdateObjectiveResponse, error) {
	in := req.GetObjective()
	has, maskErr := updateMask("objective", req.GetUpdateMask().GetPaths(), int32(in.GetStatus()))
	var target *time.Time
	done, err := updateRow(ctx, s, rowUpdate[*objectiveRow]{
		what: "objective", table: tableObjectives, object: objPlan, id: in.GetId(), etag: req.GetEtag(),
		notFound: objectiveNotFound(in.GetId()),
		check: func() (err error) {
			if maskErr != nil {
				return maskErr
			}
			if has("description") && in.GetDescription() == "" {
				return rpcerr.InvalidArgument("objective.description", "cannot be empty")
			}
			target, err = parseDate("objective.target_date", in.GetTargetDate())
			return err
		},
		get: getObjective, etagOf: func(o *objectiveRow) int64 { return o.Version },
		planOf: func(o *objectiveRow) string { return o.PlanID }, content: has("description") || has("target_date"),
		apply: func(ctx context.Context, tx pgx.Tx, row *objectiveRow) (bool, error) {
			if err := moveStatus(has, supportplan.Objective, &row.Status, in.GetStatus()); err != nil {
				return false, err
			}
			if has("target_date") {
				row.TargetDate = target
			}
			if !has("description") {
				return false, nil
			}
			row.Description = in.GetDescription()
			return true, s.sealObjective(ctx, tx, row)
		},
		save: saveObjective,
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answerObjective(ctx, done.org, done.caseID, in.GetId(), done.written)
	return &casebridgev1.UpdateObjectiveResponse{Objective: out}, err
}

// AddAction adds an action, planned, towards an objective of a plan in progress.
func (s *Service) AddAction(ctx context.Context, req *casebridgev1.AddActionRequest) (*casebridgev1.AddActionResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, objectiveID := req.GetAction(), req.GetObjectiveId()
	if st := in.GetStatus(); st != 0 && st != supportplan.ActionPlanned {
		return nil, rpcerr.InvalidArgument("action.status", "an action starts planned")
	}
	if in.GetActualDate() != "" {
		return nil, rpcerr.InvalidArgument("action.actual_date", "a planned action has no actual date yet")
	}
	planned, err := parseDate("action.planned_date", in.GetPlannedDate())
	if err != nil {
		return nil, err
	}
	caseID, err := caseOf(ctx, s.pool, tableObjectives, objectiveID)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, objectiveNotFound(objectiveID)
	}
	row := &actionRow{ID: uuid.NewString(), ObjectiveID: objectiveID, CaseID: caseID, Status: supportplan.ActionPlanned,
		PlannedDate: planned, Description: in.GetDescription()}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return actionByRequest(ctx, q, objectiveID, rid)
		}}
	id, org, written := row.ID, "", false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, objPlan, actUpdate, true, namedRecord, objectiveNotFound(objectiveID))
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
		obj, err := getObjective(ctx, tx, objectiveID, true)
		if err != nil {
			return err
		}
		row.PlanID = obj.PlanID
		if _, err := editablePlan(ctx, tx, caseID, obj.PlanID, f.Owner, true); err != nil {
			return err
		}
		if n, err := countActions(ctx, tx, objectiveID); err != nil {
			return err
		} else if n >= maxActions {
			return rpcerr.FailedPrecondition("an objective holds at most %d actions", maxActions)
		}
		if err := s.sealAction(ctx, tx, row); err != nil {
			return err
		}
		inserted, err := insertAction(ctx, tx, row, req.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = true
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		written = false
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.answerAction(ctx, org, caseID, id, written)
	return &casebridgev1.AddActionResponse{Action: out}, err
}

func (s *Service) answerAction(ctx context.Context, org, caseID, id string, written bool) (*casebridgev1.Action, error) {
	row, err := getAction(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.openAction(ctx, s.pool, row); err != nil {
		return nil, err
	}
	out := row.toProto()
	return out, s.recordReturned(ctx, org, caseID, written, out.GetDescription() != "")
}

// UpdateAction changes an action's description, status or dates.
func (s *Service) UpdateAction(ctx context.Context, req *casebridgev1.UpdateActionRequest) (*casebridgev1.UpdateActionResponse, error) {
	in := req.GetAction()
	has, maskErr := updateMask("action", req.GetUpdateMask().GetPaths(), int32(in.GetStatus()))
	var planned, actual *time.Time
	done, err := updateRow(ctx, s, rowUpdate[*actionRow]{
		what: "action", table: tableActions, object: objPlan, id: in.GetId(), etag: req.GetEtag(),
		notFound: actionNotFound(in.GetId()),
		check: func() (err error) {
			if maskErr != nil {
				return maskErr
			}
			if has("description") && in.GetDescription() == "" {
				return rpcerr.InvalidArgument("action.description", "cannot be empty")
			}
			if planned, err = parseDate("action.planned_date", in.GetPlannedDate()); err != nil {
				return err
			}
			if actual, err = parseDate("action.actual_date", in.GetActualDate()); err != nil {
				return err
			}
			return checkPast("action.actual_date", actual, s.now())
		},
		get: getAction, etagOf: func(a *actionRow) int64 { return a.Version },
		planOf: func(a *actionRow) string { return a.PlanID }, content: has("description") || has("planned_date"),
		apply: func(ctx context.Context, tx pgx.Tx, row *actionRow) (bool, error) {
			if err := moveStatus(has, supportplan.Action, &row.Status, in.GetStatus()); err != nil {
				return false, err
			}
			if has("planned_date") {
				row.PlannedDate = planned
			}
			if has("actual_date") {
				row.ActualDate = actual
			}
			if err := supportplan.CheckActionDates(row.Status, formatDate(row.ActualDate)); err != nil {
				return false, err
			}
			if !has("description") {
				return false, nil
			}
			row.Description = in.GetDescription()
			return true, s.sealAction(ctx, tx, row)
		},
		save: saveAction,
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answerAction(ctx, done.org, done.caseID, in.GetId(), done.written)
	return &casebridgev1.UpdateActionResponse{Action: out}, err
}
