package sharing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// holdsKey reports whether any of orgs has a wrapped copy of the case key.
func holdsKey(ctx context.Context, tx pgx.Tx, caseID string, orgs []string) (bool, error) {
	var held bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (
			SELECT 1 FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			WHERE ck.case_id = $1 AND ok.organization_id = ANY($2))`, caseID, orgs).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("look up key holders of case %s: %w", caseID, err)
	}
	return held, nil
}

// hasKey reports whether the case has a key at all (one imported without
// sensitive data, or erased, has none).
func hasKey(ctx context.Context, tx pgx.Tx, caseID string) (bool, error) {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_keys WHERE case_id = $1)`, caseID).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up key of case %s: %w", caseID, err)
	}
	return ok, nil
}
