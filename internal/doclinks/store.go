// Package doclinks finds the documents filed with a consent, a hearing or
// a claim, for the document ids those records carry: only the documents
// the caller sees (caseaccess.DocumentSight), so that a receiver without a
// document's class learns nothing of it, not even that it exists.
package doclinks

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
)

// Record is the kind of record a document is filed with.
type Record int

// The records a document names.
const (
	Consent Record = iota
	Hearing
	Claim
)

// query selects the documents filed with records of one kind: the column
// is chosen here, never from the caller's text.
func (r Record) query() string {
	col := [...]string{Consent: "consent_id", Hearing: "hearing_id", Claim: "claim_id"}[r]
	return `SELECT id::text, ` + col + `::text, class, (hearing_id IS NOT NULL OR claim_id IS NOT NULL)
		FROM documents WHERE ` + col + ` = ANY($1::uuid[]) ORDER BY create_time, id`
}

// IDs returns, for each record id of kind r in sight (record id → the sight
// of the caller on its case), the ids of the documents filed with it that
// the sight sees, oldest first. Records with none are absent.
func IDs(ctx context.Context, q db.Querier, r Record, sight map[string]caseaccess.DocumentSight) (map[string][]string, error) {
	if len(sight) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(sight))
	for id := range sight {
		ids = append(ids, id)
	}
	rows, err := q.Query(ctx, r.query(), ids)
	if err != nil {
		return nil, fmt.Errorf("find filed documents: %w", err)
	}
	out := map[string][]string{}
	var doc, rec string
	var class int16
	var court bool
	_, err = pgx.ForEachRow(rows, []any{&doc, &rec, &class, &court}, func() error {
		if sight[rec].Sees(dataclass.FromStored(class), court) {
			out[rec] = append(out[rec], doc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find filed documents: %w", err)
	}
	return out, nil
}
