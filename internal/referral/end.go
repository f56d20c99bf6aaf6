package referral

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sharing"
)

// ended is a referral that revokeOpen just revoked.
type ended struct {
	id          string
	to          string
	wasAccepted bool
}

// revokeOpen makes the server's End on the open referrals of caseID — those
// that rely on consentID, or all of them when consentID is empty — with
// reason as their end reason. The case row must be locked by tx.
func revokeOpen(ctx context.Context, tx pgx.Tx, caseID, consentID, reason string) ([]ended, error) {
	var consent *string
	if consentID != "" {
		consent = &consentID
	}
	rows, err := tx.Query(ctx, `
		WITH open AS (
			SELECT o.id, o.status FROM referrals o
			WHERE o.case_id = $1 AND ($2::uuid IS NULL OR o.consent_id = $2) AND `+OpenSQL("o")+`
			FOR UPDATE)
		UPDATE referrals r SET status = $4, end_reason = $3, revoke_time = now(), update_time = now(),
			version = r.version + 1
		FROM open WHERE r.id = open.id
		RETURNING r.id::text, r.to_organization, `+AcceptedSQL("open")+``, caseID, consent, reason, Stored(End.To))
	if err != nil {
		return nil, fmt.Errorf("revoke referrals of case %s: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ended, error) {
		var e ended
		err := row.Scan(&e.id, &e.to, &e.wasAccepted)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("revoke referrals of case %s: %w", caseID, err)
	}
	return out, nil
}

func ids(es []ended) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

// EndConsent ends at once every sharing of caseID that relied on consentID,
// which the person withdrew or which lapsed (reason says which): its
// pending and accepted referrals are
// revoked, the receivers that thereby lose access lose the case key (the
// case is re-keyed, see Ended) and both sides of each referral are told.
// It runs in the caller's transaction, which must hold the case row lock.
func EndConsent(ctx context.Context, tx pgx.Tx, km *keys.Manager, caseID, consentID, reason string) error {
	caseID = sharing.Canonical(caseID)
	es, err := revokeOpen(ctx, tx, caseID, consentID, reason)
	if err != nil || len(es) == 0 {
		return err
	}
	var lost []string
	for _, e := range es {
		if e.wasAccepted {
			lost = append(lost, e.to)
		}
	}
	if err := Ended(ctx, tx, km, caseID, lost...); err != nil {
		return err
	}
	var out Outbox
	if err := out.Referrals(ctx, tx, End.Event, ids(es)...); err != nil {
		return err
	}
	return out.Flush(ctx, tx)
}

// EndAll revokes every pending and accepted referral of caseID with reason
// (an erasure) and gathers the events in out, for the caller to flush last.
// The case key is not re-keyed here: an erasure shreds it.
func EndAll(ctx context.Context, tx pgx.Tx, out *Outbox, caseID, reason string) error {
	caseID = sharing.Canonical(caseID)
	es, err := revokeOpen(ctx, tx, caseID, "", reason)
	if err != nil {
		return err
	}
	return out.Referrals(ctx, tx, End.Event, ids(es)...)
}
