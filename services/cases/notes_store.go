package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// noteFilter is a page of a case's notes: one note (id), one class, or
// all; after the note at (afterTime, afterID), newest first.
type noteFilter struct {
	id        string
	class     dataclass.Class
	afterTime *time.Time
	afterID   string
	limit     int
	maxBytes  int // the page's byte budget; 0: none
}

// storedNote is a note as loaded, its text still sealed in ct; ct is nil
// for a note past the page's byte budget.
type storedNote struct {
	note *casebridgev1.Note
	ct   []byte
}

// notePage returns up to f.limit+1 notes of case caseID in the classes
// readable (stored numbers), newest first. A note's ciphertext is fetched
// only while the notes before it weigh less than maxBytes: the page ends
// at the first without.
func notePage(ctx context.Context, q db.Querier, caseID string, readable []int16, f noteFilter, maxBytes int) ([]storedNote, error) {
	rows, err := q.Query(ctx, `SELECT id, class,
			CASE WHEN running - octet_length(ciphertext) < $7 THEN ciphertext END, author, create_time
		FROM (SELECT id, class, ciphertext, author, create_time,
				sum(octet_length(ciphertext)) OVER (ORDER BY create_time DESC, id DESC) AS running
			FROM case_notes
			WHERE case_id = $1 AND class = ANY($2) AND ($3 = '' OR id::text = $3)
			  AND ($4::timestamptz IS NULL OR (create_time, id) < ($4, $5::uuid))
			ORDER BY create_time DESC, id DESC LIMIT $6) page
		ORDER BY create_time DESC, id DESC`,
		caseID, readable, f.id, f.afterTime, nullUUID(f.afterID), f.limit+1, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("list notes of case %s: %w", caseID, err)
	}
	defer rows.Close()
	var found []storedNote
	for rows.Next() {
		var n casebridgev1.Note
		var class int16
		var ct []byte
		var created time.Time
		if err := rows.Scan(&n.Id, &class, &ct, &n.Author, &created); err != nil {
			return nil, fmt.Errorf("scan note of case %s: %w", caseID, err)
		}
		n.CaseId, n.DataClass, n.CreateTime = caseID, dataclass.FromStored(class).Proto(), timestamppb.New(created)
		found = append(found, storedNote{&n, ct})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notes of case %s: %w", caseID, err)
	}
	return found, nil
}

// noteClassesOf lists the classes case caseID holds notes in, in the order
// of their stored numbers.
func noteClassesOf(ctx context.Context, q db.Querier, caseID string) ([]dataclass.Class, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT class FROM case_notes WHERE case_id = $1 ORDER BY class`, caseID)
	if err != nil {
		return nil, fmt.Errorf("note classes of case %s: %w", caseID, err)
	}
	classes, err := pgx.CollectRows(rows, pgx.RowTo[int16])
	if err != nil {
		return nil, fmt.Errorf("note classes of case %s: %w", caseID, err)
	}
	out := make([]dataclass.Class, len(classes))
	for i, c := range classes {
		out[i] = dataclass.FromStored(c)
	}
	return out, nil
}

// countNotes counts the notes of case caseID.
func countNotes(ctx context.Context, q db.Querier, caseID string) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM case_notes WHERE case_id = $1`, caseID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notes of case %s: %w", caseID, err)
	}
	return n, nil
}

// nullUUID is id as a nullable uuid parameter: NULL when empty.
func nullUUID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}
