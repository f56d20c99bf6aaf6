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
// holds with another recipient, or holds as another organisation's key),
// in key id order. A server whose keyring does not match its database (a
// keyring backup from before or after a rotation, or none) cannot open its
// cases, so it must refuse to serve rather than answer Internal call by
// call. A key whose file names another organisation than its row is not
// the row's organisation's key, however present: the row was relabelled
// (see ErrForeignKey), and that organisation's cases could not be keyed.
// It changes nothing.
func (m *Manager) MissingKeys(ctx context.Context, q db.Querier) ([]string, error) {
	rows, err := q.Query(ctx, `
		SELECT key_id, recipient, organization_id FROM organization_keys
		WHERE state IN ($1, $2) ORDER BY key_id`, KeyActive, KeyRetiring)
	if err != nil {
		return nil, fmt.Errorf("list organisation keys: %w", err)
	}
	type recorded struct {
		info vault.KeyInfo
		org  string
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recorded, error) {
		var k recorded
		err := row.Scan(&k.info.ID, &k.info.Recipient, &k.org)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list organisation keys: %w", err)
	}
	var missing []string
	for _, k := range keys {
		if m.checkHeld(k.info) != nil || m.foreign(k.org, k.info.ID) {
			missing = append(missing, k.info.ID)
		}
	}
	return missing, nil
}

// foreign reports whether the file of key keyID names an organisation
// other than org (a file naming none is the database's word, see
// checkOwned).
func (m *Manager) foreign(org, keyID string) bool {
	owner, named := m.keyring.Owner(keyID)
	return named && owner != org
}
