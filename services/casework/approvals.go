package casework

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/approval"
	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/supportplan"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// RequestApproval asks a supervisor of the case's organisation to approve
// its draft support plan (which then awaits the decision) or its closure.
func (s *Service) RequestApproval(ctx context.Context, req *casebridgev1.RequestApprovalRequest) (*casebridgev1.RequestApprovalResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, subject := req.GetCaseId(), req.GetSubject()
	audit.Detail(ctx, audit.DetailApproval, strings.ReplaceAll(approval.SubjectWord(subject), " ", "_"))
	row := &approvalRow{ID: uuid.NewString(), CaseID: caseID, Subject: subject, Status: approval.Pending,
		RequestedBy: p.Subject, RequestComment: req.GetComment()}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return approvalByRequest(ctx, q, caseID, rid)
		}}
	id, org, written := row.ID, "", false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, approval.Object, approval.ActAsk, true, namedCase, caseNotFound(caseID))
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
		row.OrgID = f.Owner
		if pending, err := pendingApproval(ctx, tx, caseID, int16(subject), int16(approval.Pending)); err != nil {
			return err
		} else if pending {
			return rpcerr.FailedPrecondition("case %s already has a %s request awaiting a decision", caseID, approval.SubjectWord(subject))
		}
		if subject == approval.SupportPlan {
			plan, err := planInProgress(ctx, tx, caseID, true)
			if err != nil {
				return err
			}
			if plan == nil {
				return rpcerr.FailedPrecondition("case %s has no support plan in progress to approve", caseID)
			}
			if err := supportplan.Submit.Check(plan.Status); err != nil {
				return err
			}
			plan.Status = supportplan.Submit.To()
			if err := savePlan(ctx, tx, plan); err != nil {
				return err
			}
			row.PlanID = &plan.ID
		}
		if err := s.sealApproval(ctx, tx, row); err != nil {
			return err
		}
		inserted, err := insertApproval(ctx, tx, row, req.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = row.Texts != nil
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		written = false
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.answerApproval(ctx, org, caseID, id, written)
	return &casebridgev1.RequestApprovalResponse{Approval: out}, err
}

func (s *Service) answerApproval(ctx context.Context, org, caseID, id string, written bool) (*casebridgev1.Approval, error) {
	row, err := getApproval(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.openApproval(ctx, s.pool, row); err != nil {
		return nil, err
	}
	out := row.toProto()
	return out, s.recordReturned(ctx, org, caseID, written, approvalCarries(out))
}

// DecideApproval approves or rejects a pending request, in one
// transaction with what it decides: an approved plan becomes active, a
// rejected one a draft again.
func (s *Service) DecideApproval(ctx context.Context, req *casebridgev1.DecideApprovalRequest) (*casebridgev1.DecideApprovalResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetId()
	t := approval.Decision(req.GetDecision())
	audit.Detail(ctx, audit.DetailApproval, t.Verb)
	caseID, err := caseOf(ctx, s.pool, tableApprovals, id)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, approvalNotFound(id)
	}
	var org string
	written := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, approval.Object, approval.ActDecide, true, namedRecord, approvalNotFound(id))
		if err != nil {
			return err
		}
		org = acc.Org
		row, err := getApproval(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if row.OrgID != f.Owner {
			// Asked of an organisation that no longer owns the case.
			return approvalNotFound(id)
		}
		if err := checkEtag("approval", id, req.GetEtag(), row.Version); err != nil {
			return err
		}
		if err := t.Check(row.Status); err != nil {
			return err
		}
		if err := f.CheckWorkable(); err != nil {
			return err
		}
		var plan *planRow
		if row.Subject == approval.SupportPlan && row.PlanID != nil {
			if plan, err = getPlan(ctx, tx, caseID, *row.PlanID, true); err != nil {
				return err
			}
			if plan == nil {
				return planNotFound(*row.PlanID)
			}
		}
		author := ""
		if plan != nil {
			author = plan.CreatedBy
		}
		if err := approval.CheckDecider(row.RequestedBy, author, p.Subject, t, req.GetComment()); err != nil {
			return err
		}
		if plan != nil {
			move := supportplan.Reject
			if t.To == approval.Approved {
				move = supportplan.Approve
				now := s.now()
				plan.ActivateTime = &now
			}
			if err := move.Check(plan.Status); err != nil {
				return err
			}
			plan.Status = move.To()
			if err := savePlan(ctx, tx, plan); err != nil {
				return err
			}
		}
		row.Status, row.DecidedBy = t.To, p.Subject
		if req.GetComment() != "" {
			// The two comments are sealed together: open the request's first.
			if err := s.openApproval(ctx, tx, row); err != nil {
				return err
			}
			row.DecisionComment = req.GetComment()
			if err := s.sealApproval(ctx, tx, row); err != nil {
				return err
			}
			written = true
		}
		if err := saveDecision(ctx, tx, row); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answerApproval(ctx, org, caseID, id, written)
	return &casebridgev1.DecideApprovalResponse{Approval: out}, err
}

// ListApprovals lists a case's approvals, or — without a case — the
// pending requests of the organisations where the caller may decide them,
// newest first. Each case a page shows is an audited read.
func (s *Service) ListApprovals(ctx context.Context, req *casebridgev1.ListApprovalsRequest) (*casebridgev1.ListApprovalsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := req.GetCaseId()
	fp := pagetoken.Fingerprint("approvals", caseID)
	var before int64
	if keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1); err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	} else if keys != nil {
		if before, err = strconv.ParseInt(keys[0], 10, 64); err != nil || before <= 0 {
			return nil, rpcerr.InvalidArgument("page_token", "malformed")
		}
	}
	limit := pagetoken.Size(req.GetPageSize(), 50, 500)
	var orgs []string
	act := approval.ActRead
	if caseID != "" {
		if _, _, err := s.access(ctx, s.pool, p, caseID, approval.Object, act, false, namedCase, caseNotFound(caseID)); err != nil {
			return nil, err
		}
	} else {
		act = approval.ActDecide
		for _, org := range p.Orgs() {
			if s.authz.Allowed(p, org, approval.Object, act) {
				orgs = append(orgs, org)
			}
		}
		if len(orgs) == 0 {
			return nil, rpcerr.PermissionDenied("no organisation of yours lets you decide approvals: name a case to list its approvals")
		}
	}
	rows, err := listApprovals(ctx, s.pool, caseID, orgs, int16(approval.Pending), before, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListApprovalsResponse{}
	if len(rows) > limit {
		rows = rows[:limit]
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[limit-1].Seq, 10))
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.CaseID)
	}
	// Each row's case is checked as a whole page: its organisation may
	// since have handed the case on, and the care rule applies per case.
	readable, err := s.gate.Readable(ctx, s.pool, p, ids, approval.Object, act)
	if err != nil {
		return nil, err
	}
	reads := &audit.ReadSet{}
	for _, r := range rows {
		acc, ok := readable[r.CaseID]
		if !ok || !acc.CanRead(careClass) || (caseID == "" && acc.Org != r.OrgID) {
			continue
		}
		if err := s.openApproval(ctx, s.pool, r); err != nil {
			return nil, err
		}
		out := r.toProto()
		reads.Add(acc.Org, r.CaseID, careIf(approvalCarries(out)))
		resp.Approvals = append(resp.Approvals, out)
	}
	if err := s.audit.ReadMany(ctx, reads.Reads()); err != nil {
		return nil, err
	}
	return resp, nil
}
