package cases

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Budget bounds what one case may hold and what one page of a list may
// weigh, whatever a request asks for: a list stops at PageBytes (with a
// next-page token) however large its page_size, so that every response
// stays far below the transport's message limit.
type Budget struct {
	NotesPerCase int
	PageBytes    int
	// Cases bounds the cases an organisation creates per period, by
	// CreateCase and ImportCases together (zero: none).
	Cases limits.CaseQuota
}

// DefaultBudget is the budget of a server configured with none.
var DefaultBudget = Budget{NotesPerCase: 1000, PageBytes: 1 << 20}

// SetBudget replaces the budget; a zero field keeps its default.
func (s *Service) SetBudget(b Budget) {
	if b.NotesPerCase <= 0 {
		b.NotesPerCase = DefaultBudget.NotesPerCase
	}
	if b.PageBytes <= 0 {
		b.PageBytes = DefaultBudget.PageBytes
	}
	s.budget = b
}

// limits is the budget in force.
func (s *Service) limits() Budget {
	if s.budget == (Budget{}) {
		return DefaultBudget
	}
	return s.budget
}

// pageFull reports whether an item of size bytes would carry a page that
// already holds items of used bytes past the budget; the first item always
// fits, so a list always makes progress.
func (b Budget) pageFull(items, used, size int) bool {
	return items > 0 && used+size > b.PageBytes
}

// checkNoteQuota refuses a note beyond the case's cap. The caller holds the
// case row's lock, so concurrent adds cannot both pass the count.
func (b Budget) checkNoteQuota(ctx context.Context, tx pgx.Tx, caseID string) error {
	n, err := countNotes(ctx, tx, caseID)
	if err != nil {
		return err
	}
	if n >= b.NotesPerCase {
		return rpcerr.ResourceExhausted(0, "case %s holds %d notes, the most a case may hold", caseID, b.NotesPerCase)
	}
	return nil
}
