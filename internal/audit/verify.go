package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// VerifyResult says whether a range of the chain is intact.
type VerifyResult struct {
	// Intact is true when every position checked links to the one before
	// and its hash matches its event.
	Intact bool
	// Checked is how many positions were found intact.
	Checked int64
	// FirstBroken is the first position that is missing or does not match;
	// 0 when intact.
	FirstBroken int64
	// Reason says why FirstBroken is broken; "" when intact.
	Reason string
	// LastPosition and LastHash are the last intact position checked and its
	// hash (0 and nil when none), to be recorded outside Casebridge.
	LastPosition int64
	LastHash     []byte
	// Next is the position to continue from when the deadline stopped the
	// walk early; 0 when the range is done.
	Next int64
	// Unlinked counts the events that should have been linked by now but
	// are not in the chain; checked when the range reaches the chain's end.
	Unlinked int64
}

// UnlinkedGrace is how old an event must be before Verify reports it as
// never linked: the chainer links committed events within a second or so.
const UnlinkedGrace = time.Minute

const unlinkedSQL = `
SELECT count(*), COALESCE(min(e.event_time), 'epoch'::timestamptz)
FROM audit_events e
WHERE e.event_time < now() - $1::interval
  AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)`

const verifyPage = 2000

const verifySQL = `
SELECT c.position, c.prev_hash, c.hash, e.id IS NOT NULL,
       COALESCE(e.id::text, c.event_id::text), COALESCE(e.event_time, 'epoch'::timestamptz),
       COALESCE(e.subject, ''), COALESCE(e.organization_id, ''), COALESCE(e.roles, '{}'), COALESCE(e.method, ''),
       COALESCE(e.case_id::text, ''), COALESCE(e.classes, '{}'), COALESCE(e.code, ''), COALESCE(e.request_id, ''),
       COALESCE(e.details, '{}')
FROM audit_chain c
LEFT JOIN audit_events e ON e.id = c.event_id
WHERE c.position >= $1 AND c.position <= $2
ORDER BY c.position
LIMIT $3`

// Verify walks the chain from position from to position to (0: the first
// and the last linked), recomputing each hash from its event, and stops at
// the first position that is missing, whose event is missing, whose
// prev_hash is not its predecessor's hash, or whose hash does not match
// its event. When ctx has a deadline it stops early, leaving some time to
// answer, and sets Next.
func Verify(ctx context.Context, q db.Querier, from, to int64) (VerifyResult, error) {
	margin := 100 * time.Millisecond
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		margin = max(margin, time.Until(deadline)/10)
	}
	from = max(from, 1)
	var last int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(max(position), 0) FROM audit_chain`).Scan(&last); err != nil {
		return VerifyResult{}, fmt.Errorf("audit: chain end: %w", err)
	}
	if to <= 0 || to > last {
		to = last
	}
	res := VerifyResult{Intact: true}
	atEnd := to == last
	if from > to {
		return checkUnlinked(ctx, q, res, last, atEnd)
	}
	prev := []byte{}
	if from > 1 {
		err := q.QueryRow(ctx, `SELECT hash FROM audit_chain WHERE position = $1`, from-1).Scan(&prev)
		if errors.Is(err, pgx.ErrNoRows) {
			return broken(res, from-1, fmt.Sprintf("position %d is missing from the chain", from-1)), nil
		}
		if err != nil {
			return VerifyResult{}, fmt.Errorf("audit: chain position %d: %w", from-1, err)
		}
	}
	expected := from
	for expected <= to {
		if hasDeadline && time.Until(deadline) < margin && res.Checked > 0 {
			res.Next = expected
			return res, nil
		}
		rows, err := q.Query(ctx, verifySQL, expected, to, verifyPage)
		if err != nil {
			return VerifyResult{}, fmt.Errorf("audit: read chain: %w", err)
		}
		page, err := pgx.CollectRows(rows, scanChainRow)
		if err != nil {
			return VerifyResult{}, fmt.Errorf("audit: read chain: %w", err)
		}
		for _, r := range page {
			switch {
			case r.Position != expected:
				return broken(res, expected, fmt.Sprintf("position %d is missing from the chain", expected)), nil
			case !r.found:
				return broken(res, r.Position, fmt.Sprintf("event %s of position %d is missing", r.ID, r.Position)), nil
			case !bytes.Equal(r.PrevHash, prev):
				return broken(res, r.Position, "link mismatch: prev_hash is not the hash of the previous position"), nil
			}
			if !bytes.Equal(ChainHash(prev, r.Position, r.Event), r.Hash) {
				return broken(res, r.Position, "hash mismatch: the event or its chain entry was altered"), nil
			}
			res.Checked++
			res.LastPosition, res.LastHash = r.Position, r.Hash
			prev = r.Hash
			expected++
		}
		if len(page) < verifyPage && expected <= to {
			return broken(res, expected, fmt.Sprintf("position %d is missing from the chain", expected)), nil
		}
	}
	return checkUnlinked(ctx, q, res, last, atEnd)
}

// checkUnlinked breaks an intact result that reached the chain's end when
// events older than UnlinkedGrace were never linked: a chain that stopped
// growing must not verify as intact.
func checkUnlinked(ctx context.Context, q db.Querier, res VerifyResult, last int64, atEnd bool) (VerifyResult, error) {
	if !atEnd {
		return res, nil
	}
	var oldest time.Time
	if err := q.QueryRow(ctx, unlinkedSQL, UnlinkedGrace.String()).Scan(&res.Unlinked, &oldest); err != nil {
		return VerifyResult{}, fmt.Errorf("audit: unlinked events: %w", err)
	}
	if res.Unlinked == 0 {
		return res, nil
	}
	return broken(res, last+1, fmt.Sprintf("%d events were never linked into the chain (the oldest from %s)",
		res.Unlinked, oldest.UTC().Format(time.RFC3339))), nil
}

func broken(res VerifyResult, pos int64, reason string) VerifyResult {
	res.Intact = false
	res.FirstBroken = pos
	res.Reason = reason
	return res
}

type chainRow struct {
	Linked
	found bool
}

func scanChainRow(row pgx.CollectableRow) (chainRow, error) {
	var r chainRow
	e := &r.Event
	err := row.Scan(&r.Position, &r.PrevHash, &r.Hash, &r.found,
		&e.ID, &e.Time, &e.Subject, &e.OrgID, &e.Roles, &e.Method, &e.CaseID, &e.Classes, &e.Code, &e.RequestID, &e.Details)
	return r, err
}
