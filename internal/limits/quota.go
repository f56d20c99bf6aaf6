package limits

import (
	"context"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// CaseQuota bounds the cases one organisation creates per period, by
// CreateCase and ImportCases rows together, so that one stolen account or
// runaway script cannot fill the database. It is counted in PostgreSQL, so
// it holds network-wide, whatever the number of replicas. Periods are fixed
// windows of Period aligned to the Unix epoch (a day: UTC midnight).
type CaseQuota struct {
	// Cases per organisation per Period; 0 means no quota.
	Cases  int
	Period time.Duration
}

// On reports whether a quota is set.
func (q CaseQuota) On() bool { return q.Cases > 0 && q.Period > 0 }

// window is the period now falls in and how long until it ends.
func (q CaseQuota) window(now time.Time) (start time.Time, left time.Duration) {
	start = now.UTC().Truncate(q.Period)
	return start, start.Add(q.Period).Sub(now)
}

// Remaining is how many cases org may still create in the current period
// (a read without a lock: Charge is the exact check). When none, err is
// ResourceExhausted with the time until the period ends as retry delay.
func (q CaseQuota) Remaining(ctx context.Context, dbq db.Querier, org string, now time.Time) (int, error) {
	if !q.On() {
		return int(^uint(0) >> 1), nil
	}
	start, left := q.window(now)
	used, err := quotaUsed(ctx, dbq, org, start)
	if err != nil {
		return 0, err
	}
	if used >= q.Cases {
		return 0, q.exhausted(org, left)
	}
	return q.Cases - used, nil
}

// Charge counts n new cases of org in tx, the transaction that creates
// them, and fails (ResourceExhausted, retry when the period ends) if they
// do not fit: concurrent creates on any replica cannot both pass.
func (q CaseQuota) Charge(ctx context.Context, tx db.Querier, org string, n int, now time.Time) error {
	if !q.On() || n <= 0 {
		return nil
	}
	start, left := q.window(now)
	if n > q.Cases {
		return q.exhausted(org, left)
	}
	ok, err := quotaCharge(ctx, tx, org, start, n, q.Cases)
	if err != nil {
		return err
	}
	if !ok {
		return q.exhausted(org, left)
	}
	return nil
}

// Refusal is the error of a create that does not fit in org's quota now.
func (q CaseQuota) Refusal(org string, now time.Time) error {
	_, left := q.window(now)
	return q.exhausted(org, left)
}

func (q CaseQuota) exhausted(org string, left time.Duration) error {
	return rpcerr.ResourceExhausted(left, "organisation %s created its %d cases allowed per %s: try again in %s",
		org, q.Cases, q.Period, left.Round(time.Second))
}
