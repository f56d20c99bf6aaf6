package digest

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/db"
)

// OverdueReferences is, for tests, the case references a digest of org would
// name at now (summarise's per-case lines) and its overdue count.
func OverdueReferences(ctx context.Context, q db.Querier, org string, now time.Time) ([]string, int, error) {
	s, err := summarise(ctx, q, org, "", now, 7)
	var refs []string
	for _, c := range s.Cases {
		refs = append(refs, c.Reference)
	}
	return refs, s.Overdue, err
}
