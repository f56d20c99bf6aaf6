package transfer

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A proposal rests on the person's transfer consent and on there being a
// case to hand on. When either goes, the proposal goes with it, in the
// transaction that took it away: the receiver is not left holding an offer
// it could accept between the change and a later check, and its list shows
// the offer cancelled. The case row is locked by the caller first, the
// order every change of a case's sharing takes.

// EndConsent cancels, in tx, the proposal of case caseID waiting for an
// answer that rests on consent consentID, which the person has withdrawn.
func EndConsent(ctx context.Context, tx pgx.Tx, caseID, consentID string) error {
	_, err := tx.Exec(ctx, `UPDATE case_transfers t SET status = $3, cancel_time = now(), update_time = now(), version = version + 1
		WHERE t.case_id = $1 AND t.consent_id = $2 AND `+ProposedSQL("t"), caseID, consentID, Stored(Cancelled))
	if err != nil {
		return fmt.Errorf("cancel the transfer of case %s resting on consent %s: %w", caseID, consentID, err)
	}
	return nil
}

// EndCase cancels, in tx, the proposal of case caseID waiting for an
// answer: the case is being erased, and nothing of it is left to hand on.
func EndCase(ctx context.Context, tx pgx.Tx, caseID string) error {
	_, err := tx.Exec(ctx, `UPDATE case_transfers t SET status = $2, cancel_time = now(), update_time = now(), version = version + 1
		WHERE t.case_id = $1 AND `+ProposedSQL("t"), caseID, Stored(Cancelled))
	if err != nil {
		return fmt.Errorf("cancel the transfer of case %s: %w", caseID, err)
	}
	return nil
}
