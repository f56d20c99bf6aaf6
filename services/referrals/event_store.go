package referrals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// eventPositions returns the first and the last seq the referral event
// outbox holds, 0 and 0 when it is empty.
func eventPositions(ctx context.Context, q db.Querier) (first, last int64, err error) {
	err = q.QueryRow(ctx, `SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM referral_events`).Scan(&first, &last)
	if err != nil {
		return 0, 0, fmt.Errorf("referral event positions: %w", err)
	}
	return first, last, nil
}

// storedEvent is what identifies an event of the outbox (see eventMark).
type storedEvent struct {
	org, referralID string
	typ             int16
	at              time.Time
}

// eventAt loads the event the outbox holds at seq; found is false when it
// holds none there.
func eventAt(ctx context.Context, q db.Querier, seq int64) (e storedEvent, found bool, err error) {
	err = q.QueryRow(ctx, `SELECT organization_id, referral_id::text, event_type, event_time FROM referral_events WHERE seq = $1`, seq).
		Scan(&e.org, &e.referralID, &e.typ, &e.at)
	if errors.Is(err, pgx.ErrNoRows) {
		return storedEvent{}, false, nil
	}
	if err != nil {
		return storedEvent{}, false, fmt.Errorf("referral event of the cursor: %w", err)
	}
	return e, true, nil
}

// watchEvent is one event as a watch sends it, at its position seq.
type watchEvent struct {
	seq   int64
	event *casebridgev1.ReferralEvent
}

// loadEvents reads the next events of orgs after seq, oldest first.
func loadEvents(ctx context.Context, q db.Querier, orgs []string, after int64) ([]watchEvent, error) {
	rows, err := q.Query(ctx, `
		SELECT e.seq, e.organization_id, e.event_type, e.referral_status, e.case_status, e.event_time,
			r.id, r.case_id, r.from_organization, r.to_organization, r.service, r.create_time,
			r.accept_time, r.decline_time, r.complete_time, r.withdraw_time, r.revoke_time, `+caseaccess.ReferredReferenceSQL("r", "c")+`
		FROM referral_events e JOIN referrals r ON r.id = e.referral_id JOIN cases c ON c.id = r.case_id
		WHERE e.organization_id = ANY($1) AND e.seq > $2
		ORDER BY e.seq
		LIMIT $3`, orgs, after, watchBatch)
	if err != nil {
		return nil, fmt.Errorf("read referral events: %w", err)
	}
	defer rows.Close()
	var out []watchEvent
	for rows.Next() {
		var seq int64
		var typ, refStatus, caseStatus, svc int16
		var at time.Time
		var org, id, caseID, from, to, reference string
		var t referralTimes
		if err := rows.Scan(&seq, &org, &typ, &refStatus, &caseStatus, &at, &id, &caseID, &from, &to, &svc,
			&t.Create, &t.Accept, &t.Decline, &t.Complete, &t.Withdraw, &t.Revoke, &reference); err != nil {
			return nil, fmt.Errorf("scan referral event: %w", err)
		}
		t = t.asOf(at)
		out = append(out, watchEvent{seq: seq, event: &casebridgev1.ReferralEvent{
			Cursor:        encodeCursor(seq, eventMark(org, id, typ, at)),
			Type:          casebridgev1.ReferralEventType(typ),
			Referral:      summaryOf(id, caseID, from, to, casebridgev1.ServiceKind(svc), casebridgev1.ReferralStatus(refStatus), t),
			CaseId:        caseID,
			CaseReference: reference,
			CaseStatus:    casebridgev1.CaseStatus(caseStatus),
			EventTime:     timestamppb.New(at),
		}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read referral events: %w", err)
	}
	return out, nil
}
