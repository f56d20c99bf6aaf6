package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// Filter selects linked events for List; its conditions combine with AND.
type Filter struct {
	// CaseID (a UUID), Subject and OrgID select exact values; "" means any.
	CaseID  string
	Subject string
	OrgID   string
	// Start (inclusive) and End (exclusive) bound the event time; a zero
	// time means unbounded.
	Start time.Time
	End   time.Time
	// After is the chain position after which to list (keyset pagination).
	After int64
	// Limit bounds the events returned; it must be positive.
	Limit int
}

// List returns the linked events that match f, in chain order (oldest
// first). Events not yet linked are not listed: Flush first to include
// everything committed.
func List(ctx context.Context, q db.Querier, f Filter) ([]Linked, error) {
	if f.Limit <= 0 {
		return nil, fmt.Errorf("audit: list limit must be positive")
	}
	var where []string
	args := []any{f.After}
	where = append(where, "c.position > $1")
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.CaseID != "" {
		id := canonicalUUID(f.CaseID)
		if id == "" {
			return nil, fmt.Errorf("audit: case id is not a UUID")
		}
		add("e.case_id = $%d::uuid", id)
	}
	if f.Subject != "" {
		add("e.subject = $%d", f.Subject)
	}
	if f.OrgID != "" {
		add("e.organization_id = $%d", f.OrgID)
	}
	if !f.Start.IsZero() {
		add("e.event_time >= $%d", f.Start)
	}
	if !f.End.IsZero() {
		add("e.event_time < $%d", f.End)
	}
	args = append(args, f.Limit)
	sql := `
SELECT c.position, c.prev_hash, c.hash,
       e.id::text, e.event_time, e.subject, e.organization_id, e.roles, e.method,
       COALESCE(e.case_id::text, ''), e.classes, e.code, e.request_id, e.details
FROM audit_chain c
JOIN audit_events e ON e.id = c.event_id
WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(`
ORDER BY c.position
LIMIT $%d`, len(args))
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Linked, error) {
		var l Linked
		e := &l.Event
		err := row.Scan(&l.Position, &l.PrevHash, &l.Hash,
			&e.ID, &e.Time, &e.Subject, &e.OrgID, &e.Roles, &e.Method, &e.CaseID, &e.Classes, &e.Code, &e.RequestID, &e.Details)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: list events: %w", err)
	}
	return out, nil
}

// HashAt returns the hash the chain holds at position pos, or nil when it
// holds none there: what a page token or a cursor checks its position
// against, so that it resumes only in the history it came from.
func HashAt(ctx context.Context, q db.Querier, pos int64) ([]byte, error) {
	var h []byte
	err := q.QueryRow(ctx, `SELECT hash FROM audit_chain WHERE position = $1`, pos).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: chain position %d: %w", pos, err)
	}
	return h, nil
}
