package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// CaseKey returns the case's data key: from the cache when possible, so hot
// reads perform no public-key operation, otherwise by unwrapping one of the
// case's wrapped keys with the keyring (and caching the result). The caller
// owns the returned key and should Wipe it when done.
//
// It returns an error wrapping ErrNoCaseKey if no wrapped key of the case
// can be unwrapped here (erased, or not shared with a held key). It does no
// authorisation: the caller decides whether its principal may read the case.
func (m *Manager) CaseKey(ctx context.Context, q db.Querier, caseID string) (*vault.CaseKey, error) {
	if err := checkUUID("case id", caseID); err != nil {
		return nil, fmt.Errorf("key of case: %w", err)
	}
	if m.cacheVouched() {
		if key, ok := m.cache.Get(caseID); ok {
			return key, nil
		}
	}
	gen := m.cacheGeneration()
	key, err := m.loadCaseKey(ctx, q, caseID)
	if err != nil {
		return nil, err
	}
	m.cachePut(caseID, key, gen)
	return key, nil
}

// storedKey is one case_keys row.
type storedKey struct {
	keyID   string
	wrapped []byte
}

// loadCaseKey unwraps the case key from the database, bypassing the cache;
// operations that store the key again (grants, re-keying, rotation) use it
// so they copy exactly what is committed.
//
// A rotation may finish, and destroy the key a row was read under, between
// the query and the unwrap. The rotation destroys a key only after every
// row has moved off it, so reading the rows once more finds the moved row;
// a second attempt is enough.
func (m *Manager) loadCaseKey(ctx context.Context, q db.Querier, caseID string) (*vault.CaseKey, error) {
	for attempt := 1; ; attempt++ {
		rows, err := q.Query(ctx, `
			SELECT ck.key_id, ck.wrapped
			FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			WHERE ck.case_id = $1
			ORDER BY ok.state, ck.key_id`, caseID)
		if err != nil {
			return nil, fmt.Errorf("load key of case %s: %w", caseID, err)
		}
		stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedKey, error) {
			var s storedKey
			err := r.Scan(&s.keyID, &s.wrapped)
			return s, err
		})
		if err != nil {
			return nil, fmt.Errorf("load key of case %s: %w", caseID, err)
		}
		if len(stored) == 0 {
			return nil, fmt.Errorf("key of case %s: %w", caseID, ErrNoCaseKey)
		}
		for _, s := range stored {
			if !m.keyring.Has(s.keyID) {
				continue
			}
			key, err := m.unwrap(s.keyID, s.wrapped, caseID)
			if err == nil {
				return key, nil
			}
			if !errors.Is(err, vault.ErrNoKey) {
				// Corrupt or bound to another case: never retry, never
				// fall back silently.
				return nil, fmt.Errorf("unwrap key of case %s: %w", caseID, err)
			}
		}
		if attempt == 2 {
			return nil, fmt.Errorf("key of case %s: %w", caseID, ErrNoCaseKey)
		}
	}
}
