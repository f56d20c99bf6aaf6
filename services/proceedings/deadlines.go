package proceedings

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	deadlineOpen      = casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN
	deadlineCancelled = casebridgev1.DeadlineStatus_DEADLINE_STATUS_CANCELLED
)

// AddDeadline records a procedural deadline, open unless said otherwise.
func (s *Service) AddDeadline(ctx context.Context, req *casebridgev1.AddDeadlineRequest) (*casebridgev1.AddDeadlineResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetDeadline()
	due, err := instant("deadline.due_time", in.GetDueTime())
	if err != nil {
		return nil, err
	}
	d := &deadlineRow{
		ID: uuid.NewString(), ProceedingID: req.GetProceedingId(), Due: due,
		Kind: in.GetKind(), Description: in.GetDescription(), Status: in.GetStatus(),
	}
	if d.Status == casebridgev1.DeadlineStatus_DEADLINE_STATUS_UNSPECIFIED {
		d.Status = deadlineOpen
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the proceeding's, and so bound to its case.
	once := requestid.Create{RequestID: req.GetRequestId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return deadlineByRequest(ctx, q, d.ProceedingID, rid)
		}}
	id := d.ID
	var acc authz.Access
	written := false // legal text, by this call, in a committed transaction
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if d.CaseID, acc, err = s.proceedingAccess(ctx, tx, p, d.ProceedingID, objDeadline, actCreate, true); err != nil {
			return err
		}
		caseID := d.CaseID
		once.CaseID = caseID
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		inserted, err := s.insertDeadline(ctx, tx, d, p.Subject, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = d.texts() != (deadlineTexts{})
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		written = false // rolled back
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	row, err := s.getDeadline(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	out := row.toProto()
	// A retried add shows what the first attempt wrote.
	if err := s.recordReturned(ctx, acc.Org, d.CaseID, written, deadlineLegal(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.AddDeadlineResponse{Deadline: out}, nil
}

// deadlinePaths are the fields UpdateDeadline may change.
var deadlinePaths = []string{"due_time", "kind", "description", "status"}

// changeDeadline runs fn on deadline id in one transaction, once the caller
// may update deadlines of its case and does legal work on it. The change's
// event names the legal class when fn changed the deadline's texts; the
// deadline is returned whole, so texts it did not write are a read.
func (s *Service) changeDeadline(ctx context.Context, id string, fn func(d *deadlineRow) error) (*deadlineRow, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var d *deadlineRow
	var caseID string
	var acc authz.Access
	written := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if caseID, acc, err = s.childAccess(ctx, tx, p, "deadlines", id, objDeadline, actUpdate, true, deadlineNotFound(id)); err != nil {
			return err
		}
		if d, err = s.getDeadline(ctx, tx, id, true); err != nil {
			return err
		}
		before := d.texts()
		if err := fn(d); err != nil {
			return err
		}
		if err := s.saveDeadline(ctx, tx, d, s.now()); err != nil {
			return err
		}
		written = d.texts() != before
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordReturned(ctx, acc.Org, caseID, written, deadlineLegal(d.toProto())); err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDeadline changes the masked fields of a deadline that is not
// cancelled, if the etag is current — including marking it met or missed.
func (s *Service) UpdateDeadline(ctx context.Context, req *casebridgev1.UpdateDeadlineRequest) (*casebridgev1.UpdateDeadlineResponse, error) {
	in := req.GetDeadline()
	id := in.GetId()
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return nil, rpcerr.InvalidArgument("deadline.id", "must be a UUID")
	}
	paths := req.GetUpdateMask().GetPaths()
	for _, path := range paths {
		if !slices.Contains(deadlinePaths, path) {
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q (allowed: %s)", path, strings.Join(deadlinePaths, ", "))
		}
	}
	var due time.Time
	if slices.Contains(paths, "due_time") {
		var err error
		if due, err = instant("deadline.due_time", in.GetDueTime()); err != nil {
			return nil, err
		}
	}
	d, err := s.changeDeadline(ctx, id, func(d *deadlineRow) error {
		if err := checkEtag("deadline", id, d.Version, req.GetEtag(), true); err != nil {
			return err
		}
		if d.Status == deadlineCancelled {
			return rpcerr.FailedPrecondition("deadline %s is cancelled: add a new deadline instead", id)
		}
		for _, path := range paths {
			switch path {
			case "due_time":
				d.Due = due
			case "kind":
				d.Kind = in.GetKind()
			case "description":
				d.Description = in.GetDescription()
			case "status":
				d.Status = in.GetStatus()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.UpdateDeadlineResponse{Deadline: d.toProto()}, nil
}

// CancelDeadline cancels an open deadline that no longer applies; one that
// was met or missed is history and stays.
func (s *Service) CancelDeadline(ctx context.Context, req *casebridgev1.CancelDeadlineRequest) (*casebridgev1.CancelDeadlineResponse, error) {
	d, err := s.changeDeadline(ctx, req.GetId(), func(d *deadlineRow) error {
		if err := checkEtag("deadline", d.ID, d.Version, req.GetEtag(), false); err != nil {
			return err
		}
		if d.Status != deadlineOpen {
			return rpcerr.FailedPrecondition("cannot cancel a deadline that is %s: only an open one can be cancelled",
				strings.ToLower(strings.TrimPrefix(d.Status.String(), "DEADLINE_STATUS_")))
		}
		d.Status, d.CancelReason = deadlineCancelled, req.GetReason()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.CancelDeadlineResponse{Deadline: d.toProto()}, nil
}

// ListDeadlines lists the deadlines of a proceeding or a case, earliest first.
func (s *Service) ListDeadlines(ctx context.Context, req *casebridgev1.ListDeadlinesRequest) (*casebridgev1.ListDeadlinesResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, acc, err := s.scheduleParent(ctx, p, req.GetProceedingId(), req.GetCaseId(), objDeadline)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetProceedingId(), req.GetCaseId(), req.GetStatus())
	f, err := scheduleQuery(req.GetPageToken(), fp, req.GetPageSize())
	if err != nil {
		return nil, err
	}
	f.proceedingID, f.caseID, f.status = req.GetProceedingId(), req.GetCaseId(), int16(req.GetStatus())
	rows, more, err := s.listDeadlines(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListDeadlinesResponse{}
	for _, d := range rows {
		resp.Deadlines = append(resp.Deadlines, d.toProto())
	}
	if more && len(rows) > 0 {
		last := rows[len(rows)-1]
		resp.NextPageToken = pagetoken.Encode(fp, last.Due.Format(time.RFC3339Nano), last.ID)
	}
	// One case's schedule: legal when any returned a description or reason.
	if err := s.recordRead(ctx, acc.Org, caseID, legalIf(deadlinesLegal(resp.Deadlines))...); err != nil {
		return nil, err
	}
	return resp, nil
}
