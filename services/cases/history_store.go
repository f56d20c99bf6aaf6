package cases

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// historyRow is one entry of a case's history: a change of its status, or
// its erasure. reason is the reason given, sealed (nil: none given, or
// the case has no key left to seal it under).
type historyRow struct {
	id, caseID string
	status     casebridgev1.CaseStatus
	erased     bool
	code       casebridgev1.CaseChangeReason
	reason     []byte
	actor      string
}

// insertHistory keeps h in the case history, in the change's transaction.
func insertHistory(ctx context.Context, tx pgx.Tx, h historyRow) error {
	if _, err := tx.Exec(ctx, `INSERT INTO case_history (id, case_id, status, erased, reason_code, reason, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h.id, h.caseID, int16(h.status), h.erased, int16(h.code), h.reason, h.actor); err != nil {
		return fmt.Errorf("keep history of case %s: %w", h.caseID, err)
	}
	return nil
}
