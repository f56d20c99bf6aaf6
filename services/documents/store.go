package documents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
)

const rowColumns = `id::text, case_id::text, class, envelope, object_id, content_type, size_bytes,
	consent_id::text, hearing_id::text, claim_id::text, uploaded_by, create_time`

func scanRow(r pgx.Row) (*row, error) {
	var d row
	var class int16
	if err := r.Scan(&d.ID, &d.CaseID, &class, &d.Envelope, &d.ObjectID, &d.ContentType, &d.Size,
		&d.ConsentID, &d.HearingID, &d.ClaimID, &d.UploadedBy, &d.CreateTime); err != nil {
		return nil, err
	}
	d.Class = dataclass.FromStored(class)
	return &d, nil
}

// getRow loads document id, or nil when there is none.
func getRow(ctx context.Context, q db.Querier, id string) (*row, error) {
	d, err := scanRow(q.QueryRow(ctx, `SELECT `+rowColumns+` FROM documents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load document %s: %w", id, err)
	}
	return d, nil
}

// byRequest finds the document an earlier upload with request id rid made
// on case caseID (requestid.Create's Find).
func byRequest(ctx context.Context, q db.Querier, caseID, rid string) (string, string, error) {
	var id, c string
	err := q.QueryRow(ctx, `SELECT id::text, case_id::text FROM documents WHERE case_id = $1 AND request_id = $2`, caseID, rid).Scan(&id, &c)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	return id, c, err
}

// insertRow stores a new document; false when an upload with the same
// request id stored one first.
func insertRow(ctx context.Context, q db.Querier, d *row, requestID string) (bool, error) {
	var rid *string
	if requestID != "" {
		rid = &requestID
	}
	err := q.QueryRow(ctx, `INSERT INTO documents (id, case_id, class, envelope, object_id, content_type, size_bytes,
			consent_id, hearing_id, claim_id, uploaded_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (case_id, request_id) DO NOTHING RETURNING create_time`,
		d.ID, d.CaseID, d.Class.Stored(), d.Envelope, d.ObjectID, d.ContentType, d.Size,
		d.ConsentID, d.HearingID, d.ClaimID, d.UploadedBy, rid).Scan(&d.CreateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store document of case %s: %w", d.CaseID, err)
	}
	return true, nil
}

// deleteRow deletes document id; its trigger queues the object's deletion.
func deleteRow(ctx context.Context, q db.Querier, id string) error {
	if _, err := q.Exec(ctx, `DELETE FROM documents WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	return nil
}

// listFilter selects the documents of one case a list returns.
type listFilter struct {
	caseID    string
	classes   []dataclass.Class // readable by the caller (and asked for)
	court     bool              // may documents filed with court data be listed
	consentID string
	hearingID string
	claimID   string
	afterTime *time.Time
	afterID   string
	limit     int
}

// listRows returns up to f.limit+1 documents, newest first.
func listRows(ctx context.Context, q db.Querier, f listFilter) ([]*row, error) {
	stored := make([]int16, 0, len(f.classes))
	for _, c := range f.classes {
		stored = append(stored, c.Stored())
	}
	var after *string
	if f.afterID != "" {
		after = &f.afterID
	}
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM documents
		WHERE case_id = $1 AND class = ANY($2)
		  AND ($3 OR (hearing_id IS NULL AND claim_id IS NULL))
		  AND ($4 = '' OR consent_id::text = $4)
		  AND ($5 = '' OR hearing_id::text = $5)
		  AND ($6 = '' OR claim_id::text = $6)
		  AND ($7::timestamptz IS NULL OR (create_time, id) < ($7, $8::uuid))
		ORDER BY create_time DESC, id DESC LIMIT $9`,
		f.caseID, stored, f.court, f.consentID, f.hearingID, f.claimID, f.afterTime, after, f.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list documents of case %s: %w", f.caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*row, error) { return scanRow(r) })
	if err != nil {
		return nil, fmt.Errorf("list documents of case %s: %w", f.caseID, err)
	}
	return out, nil
}

// belongs reports whether record id of table (consents, hearings, claims)
// belongs to case caseID.
func belongs(ctx context.Context, q db.Querier, table, id, caseID string) (bool, error) {
	var sql string
	switch table {
	case "consents":
		sql = `SELECT EXISTS (SELECT 1 FROM consents WHERE id = $1 AND case_id = $2)`
	case "hearings":
		sql = `SELECT EXISTS (SELECT 1 FROM hearings WHERE id = $1 AND case_id = $2)`
	case "claims":
		sql = `SELECT EXISTS (SELECT 1 FROM claims WHERE id = $1 AND case_id = $2)`
	default:
		return false, fmt.Errorf("no link to %s", table)
	}
	var ok bool
	if err := q.QueryRow(ctx, sql, id, caseID).Scan(&ok); err != nil {
		return false, fmt.Errorf("find %s %s: %w", table, id, err)
	}
	return ok, nil
}

// queueDeletion queues object id for deletion after delay (0: at once);
// an upload queues its object before writing it (see the migration).
func queueDeletion(ctx context.Context, q db.Querier, id string, delay time.Duration) error {
	_, err := q.Exec(ctx, `INSERT INTO document_object_deletions (object_id, not_before)
		VALUES ($1, now() + $2::interval)
		ON CONFLICT (object_id) DO UPDATE SET not_before = excluded.not_before`, id, delay.String())
	if err != nil {
		return fmt.Errorf("queue object deletion: %w", err)
	}
	return nil
}

// unqueueDeletion keeps object id: the document naming it committed.
func unqueueDeletion(ctx context.Context, q db.Querier, id string) error {
	if _, err := q.Exec(ctx, `DELETE FROM document_object_deletions WHERE object_id = $1`, id); err != nil {
		return fmt.Errorf("unqueue object deletion: %w", err)
	}
	return nil
}

// claimDeletions takes up to n due deletions, pushing each one's next try
// back (exponentially, at most an hour) so that a failing store is retried
// without being hammered and a crashed sweeper's claims come due again.
func claimDeletions(ctx context.Context, q db.Querier, n int) ([]string, error) {
	rows, err := q.Query(ctx, `UPDATE document_object_deletions d
		SET attempts = d.attempts + 1,
		    not_before = now() + least(interval '1 second' * power(2, least(d.attempts, 12)), interval '1 hour')
		WHERE d.object_id IN (SELECT object_id FROM document_object_deletions
			WHERE not_before <= now() ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING d.object_id`, n)
	if err != nil {
		return nil, fmt.Errorf("claim object deletions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("claim object deletions: %w", err)
	}
	return ids, nil
}

// inUse reports whether a document still names object id.
func inUse(ctx context.Context, q db.Querier, id string) (bool, error) {
	var used bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE object_id = $1)`, id).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("find object's document: %w", err)
	}
	return used, nil
}

// deletionDone removes object id from the queue once it is deleted, or
// found still named by a document.
func deletionDone(ctx context.Context, q db.Querier, id string) error {
	if _, err := q.Exec(ctx, `DELETE FROM document_object_deletions WHERE object_id = $1`, id); err != nil {
		return fmt.Errorf("finish object deletion: %w", err)
	}
	return nil
}

// pendingDeletions counts the objects queued for deletion.
func pendingDeletions(ctx context.Context, q db.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM document_object_deletions`).Scan(&n)
	return n, err
}
