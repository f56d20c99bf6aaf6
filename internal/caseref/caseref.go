// Package caseref numbers the cases of an organisation: references such as
// SHA-2026-0042, unique in the organisation, given at intake and when a case
// is transferred in.
package caseref

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
)

// ReserveAhead is Reserve in a statement of its own, before the create's
// transaction, whose commit does not wait for the disk
// (synchronous_commit off for that statement alone). The counter row of the
// organisation is then locked for microseconds rather than for a flush, so
// concurrent intakes of one organisation do not queue behind each other's
// fsync. Nothing durable is lost: a number matters only to the case that
// carries it, and that case's transaction commits durably later, which
// writes out all the log before it, this reservation included. A crash
// before then loses the reservation with the case that would have used it,
// and the number is given again. A failed create leaves a gap, never a
// duplicate.
func ReserveAhead(ctx context.Context, pool *pgxpool.Pool, org string, year, n int) (prefix string, first int, err error) {
	return reserve(ctx, pool, org, year, n, `, set_config('synchronous_commit', 'off', true)`)
}

// Reserve reserves n case numbers of org for year in q's transaction and
// returns the first.
func Reserve(ctx context.Context, q db.Querier, org string, year, n int) (prefix string, first int, err error) {
	return reserve(ctx, q, org, year, n, `, ''`)
}

// reserve bumps the counter; extra is a third column of the statement (the
// setting ReserveAhead makes in it).
func reserve(ctx context.Context, q db.Querier, org string, year, n int, extra string) (prefix string, first int, err error) {
	var setting string
	err = q.QueryRow(ctx, `
		WITH bumped AS (
			INSERT INTO case_reference_counters (organization_id, year, last_number) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, year)
			DO UPDATE SET last_number = case_reference_counters.last_number + $3
			RETURNING last_number)
		SELECT o.reference_prefix, b.last_number`+extra+` FROM organizations o, bumped b WHERE o.id = $1`,
		org, year, n).Scan(&prefix, &first, &setting)
	if err != nil {
		return "", 0, fmt.Errorf("reserve case numbers of %s: %w", org, err)
	}
	if prefix == "" {
		prefix = defaultPrefix(org)
	}
	return prefix, first - n + 1, nil
}

// Format is a reference as shown to people: SHA-2026-0042.
func Format(prefix string, year, number int) string {
	return fmt.Sprintf("%s-%d-%04d", prefix, year, number)
}

// defaultPrefix derives a reference prefix from the organisation id.
func defaultPrefix(org string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(org) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == 3 {
			break
		}
	}
	return b.String()
}
