package keys

import (
	"context"
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/jackc/pgx/v5"
)

// ShredCaseKeys deletes every wrapped key of the case, making its
// ciphertexts undecryptable (crypto-shredding); deleting the ciphertexts is
// the caller's job. Every Manager's cache forgets the key when the
// transaction commits. It returns the organisations whose keys had wrapped
// the case key: each key's owner as its file in the keyring names it, and
// the organisation the database labels it with.
//
// Old backups still hold the wrapped key, readable with those organisations'
// keys: the erasure is complete only once each of them has been rotated
// away. Prefer ShredAndRotate, or call RotateAfterShred with the returned
// organisations in the same transaction.
func (m *Manager) ShredCaseKeys(ctx context.Context, q db.Querier, caseID string) ([]string, error) {
	if err := checkUUID("case id", caseID); err != nil {
		return nil, fmt.Errorf("shred key of case: %w", err)
	}
	var orgs []string
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockCase(ctx, tx, caseID); err != nil {
			return err
		}
		token := m.cacheHold(caseID)
		rows, err := tx.Query(ctx, `
			WITH shredded AS (
				DELETE FROM case_keys WHERE case_id = $1 RETURNING key_id
			)
			SELECT DISTINCT s.key_id, ok.organization_id
			FROM shredded s JOIN organization_keys ok ON ok.key_id = s.key_id
			ORDER BY 1`, caseID)
		if err != nil {
			return err
		}
		type shredded struct{ keyID, label string }
		keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shredded, error) {
			var k shredded
			err := r.Scan(&k.keyID, &k.label)
			return k, err
		})
		if err != nil {
			return err
		}
		// The organisation a key belongs to is the one its file names: a
		// row relabelled by a database writer must not steer the rotation
		// away from the key that wrapped the case key. The database's
		// label is rotated too (it may name a key file that names none).
		seen := map[string]bool{}
		for _, k := range keys {
			owner, named := m.keyring.Owner(k.keyID)
			if named && owner != k.label {
				m.log.Error("the database labels a shredded case key's organisation key with another organisation; rotating both",
					"key_id", k.keyID, "key_owner", owner, "organization_id", k.label)
			}
			for _, org := range []string{k.label, owner} {
				if org != "" && !seen[org] {
					seen[org] = true
					orgs = append(orgs, org)
				}
			}
		}
		slices.Sort(orgs)
		return notifyCaseKey(ctx, tx, caseID, token)
	})
	if err != nil {
		return nil, fmt.Errorf("shred key of case %s: %w", caseID, err)
	}
	return orgs, nil
}

// RotateAfterShred makes an erasure reach old backups: it rotates the key of
// each organisation that wrapped a shredded case key, so the wrapped copies
// in backups become undecryptable once the old keys are destroyed.
//
// Run it in the transaction that shreds, so the erasure and the obligation
// to rotate commit together: the rotations are recorded in the database and
// their workers start on commit (or on the next ResumeRotations after a
// crash). If a rotation of an organisation is already running, its current
// target key may already wrap the shredded case key (a backup taken
// mid-rotation would hold it), so the rotation is extended to a fresh key
// and that target retires too.
func (m *Manager) RotateAfterShred(ctx context.Context, q db.Querier, orgIDs ...string) ([]Rotation, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	orgs, err := orgSet(orgIDs)
	if err != nil {
		return nil, fmt.Errorf("rotate keys after erasure: %w", err)
	}
	rots := make([]Rotation, 0, len(orgs))
	err = atomically(ctx, q, func(tx pgx.Tx) error {
		for _, orgID := range orgs {
			// A rotation that retires a key of another organisation would
			// be recorded, then fail, leaving the old key (and every backup
			// it opens) in place while the erasure reported success: the
			// erasure is refused instead, shredding nothing.
			if err := m.checkKeysOwned(ctx, tx, orgID); err != nil {
				return fmt.Errorf("organisation %s: %w", orgID, err)
			}
			rot, err := m.beginRotation(ctx, tx, orgID, true)
			if err != nil {
				return fmt.Errorf("organisation %s: %w", orgID, err)
			}
			rots = append(rots, rot)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rotate keys after erasure: %w", err)
	}
	if err := m.startWorkersIfPool(ctx, q, rots); err != nil {
		return nil, fmt.Errorf("rotate keys after erasure: %w", err)
	}
	return rots, nil
}

// ShredAndRotate is ShredCaseKeys followed by RotateAfterShred, atomically.
// It returns the rotations it started or extended.
func (m *Manager) ShredAndRotate(ctx context.Context, q db.Querier, caseID string) ([]Rotation, error) {
	var rots []Rotation
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		orgs, err := m.ShredCaseKeys(ctx, tx, caseID)
		if err != nil {
			return err
		}
		rots, err = m.RotateAfterShred(ctx, tx, orgs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.startWorkersIfPool(ctx, q, rots); err != nil {
		return nil, err
	}
	return rots, nil
}

// checkKeysOwned refuses (ErrForeignKey) when a key the database records as
// an active or retiring key of orgID belongs, according to the keyring, to
// another organisation.
func (m *Manager) checkKeysOwned(ctx context.Context, q db.Querier, orgID string) error {
	rows, err := q.Query(ctx, `SELECT key_id FROM organization_keys WHERE organization_id = $1 AND state IN ($2, $3)`,
		orgID, KeyActive, KeyRetiring)
	if err != nil {
		return fmt.Errorf("keys of organisation %s: %w", orgID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("keys of organisation %s: %w", orgID, err)
	}
	for _, id := range ids {
		if err := m.checkOwned(orgID, id); err != nil {
			return err
		}
	}
	return nil
}
