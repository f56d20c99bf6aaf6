package keys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// MissingKeys returns the ids of the active and retiring organisation keys
// the database names whose private half this keyring does not hold (or
// holds with another recipient), in key id order. A server whose keyring
// does not match its database (a keyring backup from before or after a
// rotation, or none) cannot open its cases, so it must refuse to serve
// rather than answer Internal call by call. It changes nothing.
func (m *Manager) MissingKeys(ctx context.Context, q db.Querier) ([]string, error) {
	rows, err := q.Query(ctx, `
		SELECT key_id, recipient FROM organization_keys
		WHERE state IN ($1, $2) ORDER BY key_id`, KeyActive, KeyRetiring)
	if err != nil {
		return nil, fmt.Errorf("list organisation keys: %w", err)
	}
	infos, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (vault.KeyInfo, error) {
		var k vault.KeyInfo
		err := row.Scan(&k.ID, &k.Recipient)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list organisation keys: %w", err)
	}
	var missing []string
	for _, k := range infos {
		if m.checkHeld(k) != nil {
			missing = append(missing, k.ID)
		}
	}
	return missing, nil
}
