package proceedings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// hearingRow is one row of the hearings table, with the proceeding's time
// zone for a hearing that has none of its own.
type hearingRow struct {
	ID           string
	ProceedingID string
	CaseID       string
	Start        time.Time
	Zone         string // "" means the proceeding's
	ProcZone     string
	Type         casebridgev1.HearingType
	Status       casebridgev1.HearingStatus
	Outcome      string // opened from Texts
	Notes        []byte // sealed; nil when there are none
	CancelReason string // opened from Texts
	Texts        []byte // the sealed outcome and cancellation reason
	Expected     *int32 // expected length in seconds; nil when the court did not say
	Version      int64
	CreateTime   time.Time
	UpdateTime   time.Time
}

// toProto renders everything but the notes, which only the caller can
// decide to open.
func (h *hearingRow) toProto() *casebridgev1.Hearing {
	zone := h.Zone
	if zone == "" {
		zone = h.ProcZone
	}
	out := &casebridgev1.Hearing{
		Id:            h.ID,
		ProceedingId:  h.ProceedingID,
		CaseId:        h.CaseID,
		StartTime:     timestamppb.New(h.Start),
		CourtTimeZone: zone,
		Type:          h.Type,
		Status:        h.Status,
		Outcome:       h.Outcome,
		CancelReason:  h.CancelReason,
		Etag:          strconv.FormatInt(h.Version, 10),
		CreateTime:    timestamppb.New(h.CreateTime),
		UpdateTime:    timestamppb.New(h.UpdateTime),
	}
	if h.Expected != nil {
		out.ExpectedDuration = durationpb.New(time.Duration(*h.Expected) * time.Second)
	}
	return out
}

const hearingColumns = `h.id, h.proceeding_id, h.case_id, h.start_time, h.court_time_zone, p.court_time_zone,
	h.type, h.status, h.texts, h.notes, h.version, h.create_time, h.update_time, h.expected_seconds`

const hearingFrom = ` FROM hearings h JOIN proceedings p ON p.id = h.proceeding_id`

func scanHearing(row pgx.Row) (*hearingRow, error) {
	var h hearingRow
	var typ, status int16
	err := row.Scan(&h.ID, &h.ProceedingID, &h.CaseID, &h.Start, &h.Zone, &h.ProcZone,
		&typ, &status, &h.Texts, &h.Notes, &h.Version, &h.CreateTime, &h.UpdateTime, &h.Expected)
	if err != nil {
		return nil, err
	}
	h.Type, h.Status = casebridgev1.HearingType(typ), casebridgev1.HearingStatus(status)
	h.Start = h.Start.UTC()
	return &h, nil
}

func hearingNotFound(id string) error { return rpcerr.NotFound("hearing %s not found", id) }

// getHearing loads a hearing; lock takes a row lock on it (not on its
// proceeding) for the transaction.
func (s *Service) getHearing(ctx context.Context, q db.Querier, id string, lock bool) (*hearingRow, error) {
	sql := "SELECT " + hearingColumns + hearingFrom + " WHERE h.id = $1"
	if lock {
		sql += " FOR UPDATE OF h"
	}
	h, err := scanHearing(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hearingNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load hearing %s: %w", id, err)
	}
	return h, s.openHearing(ctx, q, h)
}

// hearingByRequest finds the hearing added earlier to the proceeding with
// the same request id: its id and case, "" when there is none.
func hearingByRequest(ctx context.Context, q db.Querier, proceedingID, requestID string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id, case_id FROM hearings WHERE proceeding_id = $1 AND request_id = $2`, proceedingID, requestID)
}

// insertHearing writes a new hearing; ok is false when one with the same
// request id exists already.
func (s *Service) insertHearing(ctx context.Context, tx pgx.Tx, h *hearingRow, createdBy string, requestID *string) (bool, error) {
	t := hearingTexts{Outcome: h.Outcome, CancelReason: h.CancelReason}
	texts, err := s.sealTexts(ctx, tx, vault.HearingTexts, h.CaseID, h.ID, t, t == hearingTexts{})
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO hearings (id, proceeding_id, case_id, start_time, court_time_zone, type, status,
			texts, notes, created_by, request_id, expected_seconds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (proceeding_id, request_id) DO NOTHING`,
		h.ID, h.ProceedingID, h.CaseID, h.Start, h.Zone, int16(h.Type), int16(h.Status),
		texts, h.Notes, createdBy, requestID, h.Expected)
	if err != nil {
		return false, fmt.Errorf("insert hearing %s: %w", h.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveHearing writes the mutable columns of h and bumps its version; the
// row must be locked by the caller's transaction.
func (s *Service) saveHearing(ctx context.Context, tx pgx.Tx, h *hearingRow, now time.Time) error {
	t := hearingTexts{Outcome: h.Outcome, CancelReason: h.CancelReason}
	texts, err := s.sealTexts(ctx, tx, vault.HearingTexts, h.CaseID, h.ID, t, t == hearingTexts{})
	if err != nil {
		return err
	}
	// The plain text columns of older versions are cleared on every write.
	err = tx.QueryRow(ctx, `
		UPDATE hearings SET start_time = $2, court_time_zone = $3, type = $4, status = $5, outcome = '',
			notes = $6, cancel_reason = '', texts = $7, update_time = $8, expected_seconds = $9, version = version + 1
		WHERE id = $1
		RETURNING version, update_time`,
		h.ID, h.Start, h.Zone, int16(h.Type), int16(h.Status), h.Notes, texts, now, h.Expected).
		Scan(&h.Version, &h.UpdateTime)
	if err != nil {
		return fmt.Errorf("save hearing %s: %w", h.ID, err)
	}
	return nil
}

// scheduleFilter is a ListHearings or ListDeadlines query after validation.
type scheduleFilter struct {
	proceedingID string
	caseID       string
	status       int16
	afterTime    *time.Time
	afterID      string
	limit        int
}

// listHearings returns up to f.limit hearings, earliest first, and whether
// more follow.
func (s *Service) listHearings(ctx context.Context, q db.Querier, f scheduleFilter) ([]*hearingRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+hearingColumns+hearingFrom+`
		WHERE ($1::uuid IS NULL OR h.proceeding_id = $1)
		  AND ($2::uuid IS NULL OR h.case_id = $2)
		  AND ($3 = 0 OR h.status = $3)
		  AND ($4::timestamptz IS NULL OR (h.start_time, h.id) > ($4, $5::uuid))
		ORDER BY h.start_time, h.id
		LIMIT $6`,
		nullable(f.proceedingID), nullable(f.caseID), f.status, f.afterTime, nullable(f.afterID), f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list hearings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hearingRow, error) { return scanHearing(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list hearings: %w", err)
	}
	for _, r := range out {
		if err := s.openHearing(ctx, q, r); err != nil {
			return nil, false, err
		}
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}
