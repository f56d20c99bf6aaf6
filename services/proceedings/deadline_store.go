package proceedings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// deadlineRow is one row of the deadlines table, with its proceeding's time
// zone (a deadline has none of its own).
type deadlineRow struct {
	ID           string
	ProceedingID string
	CaseID       string
	Due          time.Time
	Zone         string
	Kind         casebridgev1.DeadlineKind
	Description  string // opened from Texts
	Status       casebridgev1.DeadlineStatus
	CancelReason string // opened from Texts
	Texts        []byte // the sealed description and cancellation reason
	Version      int64
	CreateTime   time.Time
	UpdateTime   time.Time
}

func (d *deadlineRow) toProto() *casebridgev1.Deadline {
	return &casebridgev1.Deadline{
		Id:            d.ID,
		ProceedingId:  d.ProceedingID,
		CaseId:        d.CaseID,
		DueTime:       timestamppb.New(d.Due),
		CourtTimeZone: d.Zone,
		Kind:          d.Kind,
		Description:   d.Description,
		Status:        d.Status,
		CancelReason:  d.CancelReason,
		Etag:          strconv.FormatInt(d.Version, 10),
		CreateTime:    timestamppb.New(d.CreateTime),
		UpdateTime:    timestamppb.New(d.UpdateTime),
	}
}

const deadlineColumns = `d.id, d.proceeding_id, d.case_id, d.due_time, p.court_time_zone,
	d.kind, d.texts, d.status, d.version, d.create_time, d.update_time`

const deadlineFrom = ` FROM deadlines d JOIN proceedings p ON p.id = d.proceeding_id`

func scanDeadline(row pgx.Row) (*deadlineRow, error) {
	var d deadlineRow
	var kind, status int16
	err := row.Scan(&d.ID, &d.ProceedingID, &d.CaseID, &d.Due, &d.Zone,
		&kind, &d.Texts, &status, &d.Version, &d.CreateTime, &d.UpdateTime)
	if err != nil {
		return nil, err
	}
	d.Kind, d.Status = casebridgev1.DeadlineKind(kind), casebridgev1.DeadlineStatus(status)
	d.Due = d.Due.UTC()
	return &d, nil
}

func deadlineNotFound(id string) error { return rpcerr.NotFound("deadline %s not found", id) }

func (s *Service) getDeadline(ctx context.Context, q db.Querier, id string, lock bool) (*deadlineRow, error) {
	sql := "SELECT " + deadlineColumns + deadlineFrom + " WHERE d.id = $1"
	if lock {
		sql += " FOR UPDATE OF d"
	}
	d, err := scanDeadline(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, deadlineNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load deadline %s: %w", id, err)
	}
	return d, s.openDeadline(ctx, q, d)
}

// deadlineByRequest finds the deadline added earlier to the proceeding with
// the same request id: its id and case, "" when there is none.
func deadlineByRequest(ctx context.Context, q db.Querier, proceedingID, requestID string) (string, string, error) {
	return byRequest(ctx, q, `SELECT id, case_id FROM deadlines WHERE proceeding_id = $1 AND request_id = $2`, proceedingID, requestID)
}

// insertDeadline writes a new deadline; ok is false when one with the same
// request id exists already.
func (s *Service) insertDeadline(ctx context.Context, tx pgx.Tx, d *deadlineRow, createdBy string, requestID *string) (bool, error) {
	t := deadlineTexts{Description: d.Description, CancelReason: d.CancelReason}
	texts, err := s.sealTexts(ctx, tx, vault.DeadlineTexts, d.CaseID, d.ID, t, t == deadlineTexts{})
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO deadlines (id, proceeding_id, case_id, due_time, kind, texts, status, created_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (proceeding_id, request_id) DO NOTHING`,
		d.ID, d.ProceedingID, d.CaseID, d.Due, int16(d.Kind), texts, int16(d.Status), createdBy, requestID)
	if err != nil {
		return false, fmt.Errorf("insert deadline %s: %w", d.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// saveDeadline writes the mutable columns of d and bumps its version; the
// row must be locked by the caller's transaction.
func (s *Service) saveDeadline(ctx context.Context, tx pgx.Tx, d *deadlineRow, now time.Time) error {
	t := deadlineTexts{Description: d.Description, CancelReason: d.CancelReason}
	texts, err := s.sealTexts(ctx, tx, vault.DeadlineTexts, d.CaseID, d.ID, t, t == deadlineTexts{})
	if err != nil {
		return err
	}
	// The plain text columns of older versions are cleared on every write.
	err = tx.QueryRow(ctx, `
		UPDATE deadlines SET due_time = $2, kind = $3, description = '', status = $4, cancel_reason = '',
			texts = $5, update_time = $6, version = version + 1
		WHERE id = $1
		RETURNING version, update_time`,
		d.ID, d.Due, int16(d.Kind), int16(d.Status), texts, now).
		Scan(&d.Version, &d.UpdateTime)
	if err != nil {
		return fmt.Errorf("save deadline %s: %w", d.ID, err)
	}
	return nil
}

// listDeadlines returns up to f.limit deadlines, earliest first, and
// whether more follow.
func (s *Service) listDeadlines(ctx context.Context, q db.Querier, f scheduleFilter) ([]*deadlineRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+deadlineColumns+deadlineFrom+`
		WHERE ($1::uuid IS NULL OR d.proceeding_id = $1)
		  AND ($2::uuid IS NULL OR d.case_id = $2)
		  AND ($3 = 0 OR d.status = $3)
		  AND ($4::timestamptz IS NULL OR (d.due_time, d.id) > ($4, $5::uuid))
		ORDER BY d.due_time, d.id
		LIMIT $6`,
		nullable(f.proceedingID), nullable(f.caseID), f.status, f.afterTime, nullable(f.afterID), f.limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list deadlines: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*deadlineRow, error) { return scanDeadline(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list deadlines: %w", err)
	}
	for _, r := range out {
		if err := s.openDeadline(ctx, q, r); err != nil {
			return nil, false, err
		}
	}
	more := len(out) > f.limit
	if more {
		out = out[:f.limit]
	}
	return out, more, nil
}
