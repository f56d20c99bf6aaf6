// Package caseref numbers the cases of an organisation: references such as
// SHA-2026-0042, unique in the organisation, given at intake and when a case
// is transferred in.
package caseref

import (
	"context"
	"fmt"
	"strings"

	"github.com/casebridge/casebridge/internal/db"
)

// Reserve reserves n case numbers of org for year and returns the
// first. It runs in its own short statement, outside the create's
// transaction, so concurrent intakes do not queue behind each other; a
// failed create leaves a gap, never a duplicate.
func Reserve(ctx context.Context, q db.Querier, org string, year, n int) (prefix string, first int, err error) {
	err = q.QueryRow(ctx, `
		WITH bumped AS (
			INSERT INTO case_reference_counters (organization_id, year, last_number) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, year)
			DO UPDATE SET last_number = case_reference_counters.last_number + $3
			RETURNING last_number)
		SELECT o.reference_prefix, b.last_number FROM organizations o, bumped b WHERE o.id = $1`,
		org, year, n).Scan(&prefix, &first)
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
