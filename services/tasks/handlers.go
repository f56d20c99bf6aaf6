package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Bounds of what a request may ask.
const (
	maxSnooze       = 366 * 24 * time.Hour
	defaultPageSize = 50
	defaultSoonDays = 7
)

func caseNotFound(id string) error { return rpcerr.NotFound("case %s not found", id) }

// access decides p's access to act on tasks of case caseID (locking the
// case row with lock); a case the caller may not see is notFound. When the
// request named a task (record) rather than the case, a follower's refusal
// is notFound as well (caseaccess.Gate.CheckRecord): the task's id must
// not confirm to a former owner that the task is still there.
func (s *Service) access(ctx context.Context, q db.Querier, p authz.Principal, caseID, act string, lock, record bool, notFound error) (authz.Access, caseaccess.Facts, error) {
	audit.SetCase(ctx, caseID)
	check := s.gate.Check
	if record {
		check = s.gate.CheckRecord
	}
	acc, f, err := check(ctx, q, p, caseID, objTask, act, lock, notFound)
	if err != nil {
		return authz.Access{}, caseaccess.Facts{}, err
	}
	audit.SetOrg(ctx, acc.Org)
	return acc, f, nil
}

// textsReadable: title and notes are care-class text.
func textsReadable(acc authz.Access) bool { return acc.CanRead(dataclass.Care) }

func careIf(b bool) []dataclass.Class {
	if b {
		return []dataclass.Class{dataclass.Care}
	}
	return nil
}

func hasTexts(t *casebridgev1.Task) bool { return t.GetTitle() != "" || t.GetNotes() != "" }

// sealKey is the key to seal a case's task texts with; an erased case
// takes nothing new, and a case without a key gets one wrapped to its owner.
func (s *Service) sealKey(ctx context.Context, tx pgx.Tx, caseID string) (*vault.CaseKey, error) {
	f, err := caseaccess.Load(ctx, tx, caseID, false)
	if err != nil {
		return nil, err
	}
	if f.Erased {
		return nil, rpcerr.FailedPrecondition("case %s is erased: no task text can be stored for it", caseID)
	}
	key, err := s.keys.CaseKey(ctx, tx, caseID)
	if errors.Is(err, keys.ErrNoCaseKey) {
		key, err = s.keys.CreateCaseKey(ctx, tx, caseID, f.Owner)
		if errors.Is(err, keys.ErrCaseKeyExists) {
			return nil, rpcerr.FailedPrecondition("the key of case %s is not available on this server, so task text cannot be sealed", caseID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	return key, nil
}

func instant(field string, t *timestamppb.Timestamp) (time.Time, error) {
	if t == nil {
		return time.Time{}, rpcerr.InvalidArgument(field, "is required")
	}
	if err := t.CheckValid(); err != nil {
		return time.Time{}, rpcerr.InvalidArgument(field, "is not a valid time")
	}
	v := t.AsTime().UTC()
	if v.Year() < 2000 || v.Year() > 2100 {
		return time.Time{}, rpcerr.InvalidArgument(field, "must be between the years 2000 and 2100")
	}
	return v, nil
}

// CreateTask writes down a follow-up on a case of the caller's organisation.
func (s *Service) CreateTask(ctx context.Context, req *casebridgev1.CreateTaskRequest) (*casebridgev1.CreateTaskResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(req.GetTitle())
	if title == "" {
		return nil, rpcerr.InvalidArgument("title", "is required")
	}
	due, err := instant("due_time", req.GetDueTime())
	if err != nil {
		return nil, err
	}
	t := &taskRow{ID: uuid.NewString(), CaseID: req.GetCaseId(), Title: title, Notes: req.GetNotes(), Due: due,
		Assignee: strings.TrimSpace(req.GetAssignee()), CreatedBy: p.Subject}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: t.CaseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return taskByRequest(ctx, q, t.CaseID, rid)
		}}
	id := t.ID
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if acc, _, err = s.access(ctx, tx, p, t.CaseID, actCreate, true, false, caseNotFound(t.CaseID)); err != nil {
			return err
		}
		if !textsReadable(acc) || !s.authz.Allowed(p, acc.Org, string(dataclass.Care), authz.ActWrite) {
			return rpcerr.PermissionDenied("a task's title and notes are in the care class, which you may not write on this case")
		}
		t.Org = acc.Org
		if t.Assignee != "" {
			if err := checkMember(ctx, tx, t.Org, t.Assignee); err != nil {
				return err
			}
		}
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		inserted, err := s.insertFollowUp(ctx, tx, t, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		return s.audit.InTx(ctx, tx, acc.Org, t.CaseID, careIf(true))
	})
	written := err == nil && id == t.ID
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	row, err := s.getTask(ctx, s.pool, id, false, true)
	if err != nil {
		return nil, err
	}
	// A follow-up is about no court data.
	out := row.toProto(s.now(), true, true)
	if !written && hasTexts(out) { // a retry shows what the first attempt wrote
		if err := s.audit.Read(ctx, acc.Org, row.CaseID, careIf(true)); err != nil {
			return nil, err
		}
	}
	return &casebridgev1.CreateTaskResponse{Task: out}, nil
}

// checkMember refuses an assignee who is not a member of org.
func checkMember(ctx context.Context, q db.Querier, org, subject string) error {
	ok, err := isMember(ctx, q, org, subject)
	if err != nil {
		return err
	}
	if !ok {
		return rpcerr.InvalidArgument("assignee", "is not a member of organisation %s", org)
	}
	return nil
}

// GetTask returns one task.
func (s *Service) GetTask(ctx context.Context, req *casebridgev1.GetTaskRequest) (*casebridgev1.GetTaskResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetId()
	caseID, err := caseOfTask(ctx, s.pool, id)
	if err != nil {
		return nil, err
	}
	acc, f, err := s.access(ctx, s.pool, p, caseID, actRead, false, true, taskNotFound(id))
	if err != nil {
		return nil, err
	}
	readable := textsReadable(acc)
	t, err := s.getTask(ctx, s.pool, id, false, readable)
	if err != nil {
		return nil, err
	}
	out := t.toProto(s.now(), readable, s.courtReadable(p, f, t.Kind))
	if err := s.audit.Read(ctx, acc.Org, caseID, careIf(hasTexts(out))); err != nil {
		return nil, err
	}
	return &casebridgev1.GetTaskResponse{Task: out}, nil
}

// change runs fn on task id in one transaction once the caller may update
// tasks of its case; the task's etag must be current and the lifecycle
// must allow act. The task is returned whole: its texts are a read.
func (s *Service) change(ctx context.Context, id, etag string, act Action, fn func(t *taskRow, now time.Time) error) (*casebridgev1.Task, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if etag == "" {
		return nil, rpcerr.InvalidArgument("etag", "is required: read the task first")
	}
	var t *taskRow
	var acc authz.Access
	var f caseaccess.Facts
	now := s.now()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		caseID, err := caseOfTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if acc, f, err = s.access(ctx, tx, p, caseID, actUpdate, true, true, taskNotFound(id)); err != nil {
			return err
		}
		if t, err = s.getTask(ctx, tx, id, true, false); err != nil {
			return err
		}
		if etag != fmt.Sprint(t.Version) {
			return rpcerr.Aborted("task %s changed since it was read (etag %s, now %d): read it again", id, etag, t.Version)
		}
		if st := t.status(now); !Allowed(act, st) {
			return rpcerr.FailedPrecondition("cannot %s a task that is %s", act,
				strings.ToLower(strings.TrimPrefix(st.String(), "TASK_STATUS_")))
		}
		if err := fn(t, now); err != nil {
			return err
		}
		if err := saveState(ctx, tx, t, now); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, acc.Org, caseID, nil)
	})
	if err != nil {
		return nil, err
	}
	readable := textsReadable(acc)
	if readable {
		if err := s.openTexts(ctx, s.pool, t); err != nil {
			return nil, err
		}
	}
	out := t.toProto(now, readable, s.courtReadable(p, f, t.Kind))
	if hasTexts(out) {
		if err := s.audit.Read(ctx, acc.Org, t.CaseID, careIf(true)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CompleteTask marks a task done.
func (s *Service) CompleteTask(ctx context.Context, req *casebridgev1.CompleteTaskRequest) (*casebridgev1.CompleteTaskResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.change(ctx, req.GetId(), req.GetEtag(), ActComplete, func(t *taskRow, now time.Time) error {
		t.CompletedBy, t.CompleteTime = p.Subject, &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.CompleteTaskResponse{Task: t}, nil
}

// SnoozeTask hides a task until a later time.
func (s *Service) SnoozeTask(ctx context.Context, req *casebridgev1.SnoozeTaskRequest) (*casebridgev1.SnoozeTaskResponse, error) {
	until, err := instant("until", req.GetUntil())
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !until.After(now) {
		return nil, rpcerr.InvalidArgument("until", "must be in the future")
	}
	if until.Sub(now) > maxSnooze {
		return nil, rpcerr.InvalidArgument("until", "must be at most a year ahead")
	}
	t, err := s.change(ctx, req.GetId(), req.GetEtag(), ActSnooze, func(t *taskRow, _ time.Time) error {
		t.SnoozeUntil = &until
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.SnoozeTaskResponse{Task: t}, nil
}

// ListTasks lists the open tasks of the caller's organisations (or one of
// them), earliest due first.
func (s *Service) ListTasks(ctx context.Context, req *casebridgev1.ListTasksRequest) (*casebridgev1.ListTasksResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.authz.ListOrgs(p, listScope, req.GetOrganizationId())
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := listFilter{orgs: orgs, caseID: req.GetCaseId(), due: req.GetDue(), now: now, limit: int(req.GetPageSize())}
	if f.limit == 0 {
		f.limit = defaultPageSize
	}
	if req.GetDueWithinDays() != 0 && req.GetDue() != casebridgev1.TaskDue_TASK_DUE_SOON {
		return nil, rpcerr.InvalidArgument("due_within_days", "applies to TASK_DUE_SOON only")
	}
	days := int(req.GetDueWithinDays())
	if days == 0 {
		days = defaultSoonDays
	}
	f.soonUntil = now.AddDate(0, 0, days)
	if req.GetMine() {
		f.assignee = p.Subject
	}
	fp := pagetoken.Fingerprint(p.Subject, strings.Join(orgs, ","), req.GetCaseId(), req.GetDue().String(), fmt.Sprint(days), fmt.Sprint(req.GetMine()))
	if tok := req.GetPageToken(); tok != "" {
		k, err := pagetoken.Decode(tok, fp, 2)
		if err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", err)
		}
		at, err := time.Parse(time.RFC3339Nano, k[0])
		if err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
		f.afterDue, f.afterID = &at, k[1]
	}
	rows, more, err := s.listTasks(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.CaseID)
	}
	// Each case is decided again: a task's organisation is the case's owner
	// when it was raised; a case since transferred is not shown.
	facts, err := caseaccess.LoadMany(ctx, s.pool, ids)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListTasksResponse{}
	reads := &audit.ReadSet{}
	for _, r := range rows {
		f, ok := facts[r.CaseID]
		if !ok {
			continue
		}
		acc, err := s.gate.Decide(p, f, objTask, actRead)
		if err != nil || acc.Org != r.Org {
			continue
		}
		readable := textsReadable(acc)
		if readable {
			if err := s.openTexts(ctx, s.pool, r); err != nil {
				return nil, err
			}
		}
		out := r.toProto(now, readable, s.courtReadable(p, f, r.Kind))
		reads.Add(acc.Org, r.CaseID, careIf(hasTexts(out)))
		resp.Tasks = append(resp.Tasks, out)
	}
	if more && len(rows) > 0 {
		last := rows[len(rows)-1]
		resp.NextPageToken = pagetoken.Encode(fp, shownDue(last.Kind, last.Due).Format(time.RFC3339Nano), last.ID)
	}
	if err := s.audit.ReadMany(ctx, reads.Reads()); err != nil {
		return nil, err
	}
	return resp, nil
}
