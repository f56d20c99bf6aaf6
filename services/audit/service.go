// Package audit implements AuditService: auditors list who read or changed
// which case, and verify that the audit log's hash chain is unbroken.
//
// Which callers may use it is decided by the authorization interceptor
// (methods.csv: audit:read and audit:verify, granted to the auditor role).
// Auditors belong to the monitoring network, so they see the events of every
// organisation.
package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the AuditService handler.
type Service struct {
	casebridgev1.UnimplementedAuditServiceServer

	pool *pgxpool.Pool
	rec  *audit.Recorder
}

// New builds the service. rec (may be nil) links pending events before a
// listing, so that an auditor sees calls made a moment ago.
func New(pool *pgxpool.Pool, rec *audit.Recorder) *Service {
	return &Service{pool: pool, rec: rec}
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
	// flushBudget bounds how long a listing waits for pending events to be
	// linked; past it, the listing shows what is linked.
	flushBudget = 2 * time.Second
)

// ListEvents lists linked audit events in chain order (oldest first),
// filtered by case, caller, organisation and time, by keyset pagination on
// the chain position.
func (s *Service) ListEvents(ctx context.Context, req *casebridgev1.ListEventsRequest) (*casebridgev1.ListEventsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := listFilter(req)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, f.CaseID, f.Subject, f.OrgID, timeKey(f.Start), timeKey(f.End))
	after, mark, err := decodePageToken(req.GetPageToken(), fp)
	if err != nil {
		return nil, err
	}
	if after > 0 {
		if err := s.checkPosition(ctx, after, mark); err != nil {
			return nil, err
		}
		f.After = after
	}
	limit := pagetoken.Size(req.GetPageSize(), defaultPageSize, maxPageSize)
	f.Limit = limit + 1
	// The auditor's own call is audited; name the case they looked into.
	audit.SetCase(ctx, f.CaseID)
	if s.rec != nil {
		fctx, cancel := context.WithTimeout(ctx, flushBudget)
		_ = s.rec.Flush(fctx) // best effort: list what is linked
		cancel()
	}
	events, err := audit.List(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListEventsResponse{}
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1]
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(last.Position, 10), hex.EncodeToString(last.Hash))
	}
	resp.Events = make([]*casebridgev1.AuditEvent, len(events))
	for i, e := range events {
		resp.Events[i] = toProto(e)
	}
	return resp, nil
}

// errOtherHistory refuses a page token whose last event is not the one
// the chain holds at its position: the database was restored from an
// earlier backup since the token was made, and its positions now name
// other events (or none yet). Listing on would skip events the caller has
// not seen; the caller starts over from the first page.
var errOtherHistory = rpcerr.FailedPrecondition("page_token names an audit event this audit log does not hold at that position " +
	"(the database was restored from an earlier backup since): start over from the first page")

// decodePageToken returns the chain position and hash of the last event of
// the previous page (0, "" for the first page). A token holds both: the
// position alone means another event in another history.
func decodePageToken(tok, fp string) (int64, string, error) {
	keys, err := pagetoken.Decode(tok, fp, 2)
	if err != nil {
		if old, oerr := pagetoken.Decode(tok, fp, 1); oerr == nil && len(old) == 1 {
			return 0, "", errOtherHistory // made before tokens carried the hash: cannot be checked
		}
		return 0, "", rpcerr.InvalidArgument("page_token", "%v", err)
	}
	if keys == nil {
		return 0, "", nil
	}
	pos, err := strconv.ParseInt(keys[0], 10, 64)
	if err != nil || pos <= 0 || keys[1] == "" {
		return 0, "", rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
	}
	return pos, keys[1], nil
}

// checkPosition refuses a token whose event is not at its position.
func (s *Service) checkPosition(ctx context.Context, pos int64, mark string) error {
	hash, err := audit.HashAt(ctx, s.pool, pos)
	if err != nil {
		return err
	}
	if hash == nil || hex.EncodeToString(hash) != mark {
		return errOtherHistory
	}
	return nil
}

// listFilter checks the request (the validation interceptor checks the same
// rules first; a handler does not rely on it) and builds the filter.
func listFilter(req *casebridgev1.ListEventsRequest) (audit.Filter, error) {
	var bad []rpcerr.FieldViolation
	if n := req.GetPageSize(); n < 0 || n > maxPageSize {
		bad = append(bad, rpcerr.FieldViolation{Field: "page_size", Description: "must be between 0 and 500"})
	}
	if len(req.GetPageToken()) > 512 {
		bad = append(bad, rpcerr.FieldViolation{Field: "page_token", Description: "is too long"})
	}
	f := audit.Filter{Subject: req.GetSubject(), OrgID: req.GetOrganizationId()}
	if id := req.GetCaseId(); id != "" {
		f.CaseID = strings.ToLower(id)
		if !isUUID(f.CaseID) {
			bad = append(bad, rpcerr.FieldViolation{Field: "case_id", Description: "must be a UUID"})
		}
	}
	if len(f.Subject) > 255 {
		bad = append(bad, rpcerr.FieldViolation{Field: "subject", Description: "must be at most 255 characters"})
	}
	if len(f.OrgID) > 63 {
		bad = append(bad, rpcerr.FieldViolation{Field: "organization_id", Description: "must be at most 63 characters"})
	}
	if t := req.GetStartTime(); t != nil {
		if err := t.CheckValid(); err != nil {
			bad = append(bad, rpcerr.FieldViolation{Field: "start_time", Description: "is not a valid time"})
		}
		f.Start = t.AsTime()
	}
	if t := req.GetEndTime(); t != nil {
		if err := t.CheckValid(); err != nil {
			bad = append(bad, rpcerr.FieldViolation{Field: "end_time", Description: "is not a valid time"})
		}
		f.End = t.AsTime()
	}
	if req.GetStartTime() != nil && req.GetEndTime() != nil && !f.End.After(f.Start) {
		bad = append(bad, rpcerr.FieldViolation{Field: "end_time", Description: "must be after start_time"})
	}
	if len(bad) > 0 {
		return audit.Filter{}, rpcerr.InvalidFields(bad)
	}
	return f, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func timeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func toProto(e audit.Linked) *casebridgev1.AuditEvent {
	out := &casebridgev1.AuditEvent{
		Id:             e.ID,
		Sequence:       e.Position,
		EventTime:      timestamppb.New(e.Time),
		Subject:        e.Subject,
		OrganizationId: e.OrgID,
		Method:         e.Method,
		CaseId:         e.CaseID,
		ResultCode:     e.Code,
		RequestId:      e.RequestID,
		PrevHash:       e.PrevHash,
		Hash:           e.Hash,
	}
	out.Roles = authz.RolesFromNames(e.Roles)
	out.Details = e.Details
	for _, c := range e.Classes {
		if v, err := dataclass.Parse(c); err == nil {
			out.Classes = append(out.Classes, v.Proto())
		}
	}
	return out
}

// VerifyChain recomputes the hash chain over the requested range and
// reports the first broken position. It stops early, with
// next_from_sequence set, when the call's deadline nears.
func (s *Service) VerifyChain(ctx context.Context, req *casebridgev1.VerifyChainRequest) (*casebridgev1.VerifyChainResponse, error) {
	if _, err := authz.Caller(ctx); err != nil {
		return nil, err
	}
	from, to := req.GetFromSequence(), req.GetToSequence()
	switch {
	case from < 0:
		return nil, rpcerr.InvalidArgument("from_sequence", "must not be negative")
	case to < 0:
		return nil, rpcerr.InvalidArgument("to_sequence", "must not be negative")
	case to != 0 && to < from:
		return nil, rpcerr.InvalidArgument("to_sequence", "cannot be before from_sequence")
	}
	if prev := req.GetPreviousHash(); len(prev) > 0 {
		if len(prev) != 32 {
			return nil, rpcerr.InvalidArgument("previous_hash", "must be 32 bytes (a last_hash VerifyChain reported)")
		}
		if from < 2 {
			return nil, rpcerr.InvalidArgument("previous_hash", "needs a from_sequence above 1: the first event has no predecessor")
		}
		hash, err := audit.HashAt(ctx, s.pool, from-1)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(hash, prev) {
			return nil, rpcerr.FailedPrecondition("the chain does not hold previous_hash at sequence %d: this audit log is not the history "+
				"that hash came from (it was restored from an earlier backup, or altered); start over: verify from the first event "+
				"and compare with the hashes you recorded", from-1)
		}
	}
	res, err := audit.Verify(ctx, s.pool, from, to)
	if err != nil {
		return nil, err
	}
	return &casebridgev1.VerifyChainResponse{
		Intact:              res.Intact,
		EventsChecked:       res.Checked,
		FirstBrokenSequence: res.FirstBroken,
		Reason:              res.Reason,
		LastSequence:        res.LastPosition,
		LastHash:            res.LastHash,
		NextFromSequence:    res.Next,
	}, nil
}
