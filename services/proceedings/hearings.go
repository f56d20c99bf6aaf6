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
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	hearingScheduled = casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED
	hearingPostponed = casebridgev1.HearingStatus_HEARING_STATUS_POSTPONED
	hearingCancelled = casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED
)

// AddHearing schedules a hearing, or records a past one, in one
// transaction; its notes are sealed under the case key before they are
// written.
func (s *Service) AddHearing(ctx context.Context, req *casebridgev1.AddHearingRequest) (*casebridgev1.AddHearingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetHearing()
	start, err := instant("hearing.start_time", in.GetStartTime())
	if err != nil {
		return nil, err
	}
	if err := checkZone("hearing.court_time_zone", in.GetCourtTimeZone()); err != nil {
		return nil, err
	}
	expected, err := expectedLength("hearing.expected_duration", in.GetExpectedDuration())
	if err != nil {
		return nil, err
	}
	h := &hearingRow{
		Expected: expected,
		ID:       uuid.NewString(), ProceedingID: req.GetProceedingId(), Start: start, Zone: in.GetCourtTimeZone(),
		Type: in.GetType(), Status: in.GetStatus(), Outcome: in.GetOutcome(),
	}
	if h.Status == casebridgev1.HearingStatus_HEARING_STATUS_UNSPECIFIED {
		h.Status = hearingScheduled
	}
	if err := checkScheduledAhead(h, s.now()); err != nil {
		return nil, err
	}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the proceeding's, and so bound to its case.
	once := requestid.Create{RequestID: req.GetRequestId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return hearingByRequest(ctx, q, h.ProceedingID, rid)
		}}
	id := h.ID
	var acc authz.Access
	written := false // legal text (notes, outcome), by this call, in a committed transaction
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if h.CaseID, acc, err = s.proceedingAccess(ctx, tx, p, h.ProceedingID, objHearing, actCreate, true); err != nil {
			return err
		}
		once.CaseID = h.CaseID
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if in.GetNotes() != "" {
			if err := s.checkNotesWritable(p, acc); err != nil {
				return err
			}
			if err := s.sealNotes(ctx, tx, h, in.GetNotes()); err != nil {
				return err
			}
		}
		inserted, err := s.insertHearing(ctx, tx, h, p.Subject, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = h.Notes != nil || h.texts() != (hearingTexts{})
		return s.recordChange(ctx, tx, acc.Org, h.CaseID, legalIf(written)...)
	})
	if err != nil {
		written = false // rolled back
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.hearingView(ctx, p, acc, id, true)
	if err != nil {
		return nil, err
	}
	// A retried add shows what the first attempt wrote.
	if err := s.recordReturned(ctx, acc.Org, h.CaseID, written, hearingLegal(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.AddHearingResponse{Hearing: out}, nil
}

// hearingView reads hearing id back for the response.
func (s *Service) hearingView(ctx context.Context, p authz.Principal, acc authz.Access, id string, full bool) (*casebridgev1.Hearing, error) {
	h, err := s.getHearing(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	out, err := s.renderHearings(ctx, s.pool, p, acc, []*hearingRow{h}, full)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// hearingPaths are the fields UpdateHearing may change.
var hearingPaths = []string{"start_time", "court_time_zone", "type", "status", "outcome", "notes", "expected_duration"}

// UpdateHearing changes the masked fields of a hearing that is not
// cancelled, if the etag is current. A postponed hearing keeps its time:
// record the new date as a new hearing, so postponements can be counted.
func (s *Service) UpdateHearing(ctx context.Context, req *casebridgev1.UpdateHearingRequest) (*casebridgev1.UpdateHearingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetHearing()
	id := in.GetId()
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return nil, rpcerr.InvalidArgument("hearing.id", "must be a UUID")
	}
	paths := req.GetUpdateMask().GetPaths()
	for _, path := range paths {
		if !slices.Contains(hearingPaths, path) {
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q (allowed: %s)", path, strings.Join(hearingPaths, ", "))
		}
	}
	var start time.Time
	if slices.Contains(paths, "start_time") {
		if start, err = instant("hearing.start_time", in.GetStartTime()); err != nil {
			return nil, err
		}
	}
	if err := checkZone("hearing.court_time_zone", in.GetCourtTimeZone()); err != nil {
		return nil, err
	}
	expected, err := expectedLength("hearing.expected_duration", in.GetExpectedDuration())
	if err != nil {
		return nil, err
	}
	var acc authz.Access
	var caseID string
	// Clearing the notes changes the legal class too.
	written := slices.Contains(paths, "notes")
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, a, err := s.childAccess(ctx, tx, p, "hearings", id, objHearing, actUpdate, true, hearingNotFound(id))
		if err != nil {
			return err
		}
		caseID, acc = c, a
		h, err := s.getHearing(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkEtag("hearing", id, h.Version, req.GetEtag(), true); err != nil {
			return err
		}
		before := h.texts()
		if h.Status == hearingCancelled {
			return rpcerr.FailedPrecondition("hearing %s is cancelled: add a new hearing instead", id)
		}
		for _, path := range paths {
			switch path {
			case "start_time":
				h.Start = start
			case "court_time_zone":
				h.Zone = in.GetCourtTimeZone()
			case "type":
				h.Type = in.GetType()
			case "status":
				h.Status = in.GetStatus()
			case "outcome":
				h.Outcome = in.GetOutcome()
			case "expected_duration":
				h.Expected = expected // unset: not said
			case "notes":
				if err := s.checkNotesWritable(p, acc); err != nil {
					return err
				}
				if err := s.sealNotes(ctx, tx, h, in.GetNotes()); err != nil {
					return err
				}
			}
		}
		if slices.Contains(paths, "start_time") || slices.Contains(paths, "status") {
			// A scheduled hearing whose day has come stays as it is; only
			// a change may not put one in the past.
			if err := checkScheduledAhead(h, s.now()); err != nil {
				return err
			}
		}
		if err := s.saveHearing(ctx, tx, h, s.now()); err != nil {
			return err
		}
		written = written || h.texts() != before
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.hearingView(ctx, p, acc, id, true)
	if err != nil {
		return nil, err
	}
	// An update of other fields shows notes and texts it did not write.
	if err := s.recordReturned(ctx, acc.Org, caseID, written, hearingLegal(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.UpdateHearingResponse{Hearing: out}, nil
}

// CancelHearing cancels a scheduled or postponed hearing. A hearing that
// was held happened: it cannot be cancelled afterwards.
func (s *Service) CancelHearing(ctx context.Context, req *casebridgev1.CancelHearingRequest) (*casebridgev1.CancelHearingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetId()
	var acc authz.Access
	var caseID string
	written := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, a, err := s.childAccess(ctx, tx, p, "hearings", id, objHearing, actUpdate, true, hearingNotFound(id))
		if err != nil {
			return err
		}
		caseID, acc = c, a
		h, err := s.getHearing(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkEtag("hearing", id, h.Version, req.GetEtag(), false); err != nil {
			return err
		}
		if h.Status != hearingScheduled && h.Status != hearingPostponed {
			return rpcerr.FailedPrecondition("cannot cancel a hearing that is %s: only a scheduled or postponed one can be cancelled", hearingWord(h.Status))
		}
		written = req.GetReason() != ""
		h.Status, h.CancelReason = hearingCancelled, req.GetReason()
		if err := s.saveHearing(ctx, tx, h, s.now()); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.hearingView(ctx, p, acc, id, false) // BASIC: no notes
	if err != nil {
		return nil, err
	}
	if err := s.recordReturned(ctx, acc.Org, caseID, written, hearingLegal(out)); err != nil {
		return nil, err
	}
	return &casebridgev1.CancelHearingResponse{Hearing: out}, nil
}

func hearingWord(st casebridgev1.HearingStatus) string {
	return strings.ToLower(strings.TrimPrefix(st.String(), "HEARING_STATUS_"))
}

// pastGrace tolerates clocks a little apart (the client's "now" and ours)
// before a hearing counts as in the past.
const pastGrace = 5 * time.Minute

// checkScheduledAhead refuses a hearing scheduled for a time already past:
// it would sit in no calendar and be silently wrong. One that took place
// is recorded as held (or postponed). This is the rule for every client;
// casectl also refuses it before asking, and refuses a wall-clock time
// that daylight saving skips at the court (the API takes instants, which
// have no such gap).
func checkScheduledAhead(h *hearingRow, now time.Time) error {
	if h.Status == hearingScheduled && h.Start.Before(now.Add(-pastGrace)) {
		return rpcerr.InvalidArgument("hearing.start_time", "%s is in the past, so it cannot be scheduled: record a hearing that took place with status held (or postponed)", h.Start.Format(time.RFC3339))
	}
	return nil
}
