package referral

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/sharing"
)

// Channel is the LISTEN/NOTIFY channel that wakes watchers of referral
// events; the payload is the id of an organisation that has new events.
// NOTIFY is delivered on commit only, so a watcher woken by it always finds
// the rows it was woken for.
const Channel = "casebridge_referral_events"

// outboxLock is the transaction-level advisory lock every writer of
// referral events holds from its first insert to its commit. It makes the
// order of seq the order of commits, which is what lets a watcher resume
// from a seq: without it, a transaction could take seq 10, another seq 11
// and commit first, and a watcher that saw 11 would never see 10.
//
// Holding a global lock is affordable because referral changes are rare
// and the lock is taken last (see Outbox.Flush): a transaction never waits
// for anything else while holding it, so it cannot take part in a deadlock.
const outboxLock int64 = 0x5245_4645_5256 // "REFERV"

// event is one row of referral_events before it is written.
type event struct {
	org        string
	referralID string
	typ        EventType
	status     Status
}

// Outbox gathers the referral events of one transaction, to be written by
// Flush as the transaction's last statements. Gather an event right after
// the change it reports (it records the referral's status then); the case
// status is taken at Flush, when the transaction has settled it.
type Outbox struct {
	events []event
}

// Referrals records that the referrals ids changed (typ says how), for both
// the referring and the receiving organisation of each.
func (o *Outbox) Referrals(ctx context.Context, tx pgx.Tx, typ EventType, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id::text, from_organization, to_organization, status FROM referrals
		WHERE id = ANY($1::uuid[]) ORDER BY seq`, ids)
	if err != nil {
		return fmt.Errorf("referral events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, from, to string
		var status int16
		if err := rows.Scan(&id, &from, &to, &status); err != nil {
			return fmt.Errorf("referral events: %w", err)
		}
		st := Status(status)
		o.events = append(o.events, event{from, id, typ, st}, event{to, id, typ, st})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("referral events: %w", err)
	}
	return nil
}

// CaseStatus records that the status of caseID changed, for every
// organisation the case is shared with by an accepted referral. Each hears
// it through its latest accepted referral, the one that links it to the
// case. Call it while the referrals are still accepted (before an erasure
// revokes them).
func (o *Outbox) CaseStatus(ctx context.Context, tx pgx.Tx, caseID string) error {
	caseID = sharing.Canonical(caseID)
	rows, err := tx.Query(ctx, `SELECT DISTINCT ON (to_organization) to_organization, id::text
		FROM referrals r WHERE r.case_id = $1 AND `+AcceptedSQL("r")+`
		ORDER BY to_organization, seq DESC`, caseID)
	if err != nil {
		return fmt.Errorf("case status events of case %s: %w", caseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var org, id string
		if err := rows.Scan(&org, &id); err != nil {
			return fmt.Errorf("case status events of case %s: %w", caseID, err)
		}
		o.events = append(o.events, event{org, id, EventCaseStatusChanged,
			Accepted})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("case status events of case %s: %w", caseID, err)
	}
	return nil
}

// Flush writes the gathered events, in the order they were gathered, and
// queues a notification for each organisation concerned. Call it as the
// last thing the transaction does: it takes outboxLock, held to commit.
func (o *Outbox) Flush(ctx context.Context, tx pgx.Tx) error {
	if len(o.events) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, outboxLock); err != nil {
		return fmt.Errorf("lock referral event outbox: %w", err)
	}
	var orgs []string
	for _, e := range o.events {
		_, err := tx.Exec(ctx, `INSERT INTO referral_events
				(organization_id, referral_id, case_id, event_type, referral_status, case_status)
			SELECT $1, r.id, r.case_id, $3, $4, c.status
			FROM referrals r JOIN cases c ON c.id = r.case_id WHERE r.id = $2`,
			e.org, e.referralID, int16(e.typ), int16(e.status))
		if err != nil {
			return fmt.Errorf("write %s event of referral %s: %w", e.typ, e.referralID, err)
		}
		if !slices.Contains(orgs, e.org) {
			orgs = append(orgs, e.org)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, org) FROM unnest($2::text[]) AS org`, Channel, orgs); err != nil {
		return fmt.Errorf("notify referral watchers: %w", err)
	}
	o.events = nil
	return nil
}

// CaseStatusChanged tells every organisation with an accepted referral on
// caseID that the case's status changed. Call it last in the transaction
// that saved the new status.
func CaseStatusChanged(ctx context.Context, tx pgx.Tx, caseID string) error {
	var o Outbox
	if err := o.CaseStatus(ctx, tx, caseID); err != nil {
		return err
	}
	return o.Flush(ctx, tx)
}
