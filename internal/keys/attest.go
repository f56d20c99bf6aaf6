package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// A rotation's row in key_rotations says which keys it retires and where it
// moves their case keys. Anyone able to write the database can write such
// a row, so the row alone is never enough for the server to move a case
// key, let alone destroy a key. What the server acts on is checked against
// the keyring, which a database writer cannot change:
//
//   - The row carries an attestation: an HMAC, under a key derived from the
//     private half of the rotation's target key, over the rotation id, the
//     organisation, the target and the retiring key ids. beginRotation
//     makes it in the transaction that records the rotation, right after
//     generating the target key, so only a rotation this server started
//     (an organisation admin's RotateKey, or an erasure) verifies; a forged
//     or altered row does not, and is failed without touching anything.
//   - Each key's file names its organisation (vault.Keyring.Owner). A
//     rotation of organisation X moves case keys only to a target whose
//     file names X, and destroys only retiring keys whose file names X. A
//     rotation that lists a retiring key whose file names another
//     organisation (a row relabelled by a database writer) is failed
//     before it moves or destroys anything: that key is never touched,
//     and the rotation is not reported done while its case keys stay put.
//
// The attested target was generated after every key the rotation retires,
// so none of them is the organisation's active key: the attestation itself
// says a newer key succeeds them.

// rotationStatement is the text an attestation covers. Every part is a
// validated id (UUID, organisation id, hex key ids), so the separators
// cannot be forged into another statement.
func rotationStatement(id, orgID, target string, retiring []string) []byte {
	sorted := slices.Clone(retiring)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	return []byte("casebridge key rotation v1\n" + id + "\n" + orgID + "\n" + target + "\n" + strings.Join(sorted, ","))
}

// attestRotation tags the rotation's current row (as q sees it) under its
// target key and stores the tag, in q's transaction.
func (m *Manager) attestRotation(ctx context.Context, q db.Querier, id string) error {
	var orgID, target string
	var retiring []string
	if err := q.QueryRow(ctx,
		"SELECT organization_id, new_key_id, retiring_key_ids FROM key_rotations WHERE id = $1", id).
		Scan(&orgID, &target, &retiring); err != nil {
		return fmt.Errorf("read rotation to attest: %w", err)
	}
	tag, err := m.keyring.Attest(target, rotationStatement(id, orgID, target, retiring))
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "UPDATE key_rotations SET attestation = $2 WHERE id = $1", id, tag)
	return err
}

// attestedRotation is a rotation row that verified against the keyring.
type attestedRotation struct {
	orgID, target string
	state         RotationState
	// movable are the retiring keys whose case keys may be moved to the
	// target: listed by the attested row, other than the target (none of
	// them names another organisation: such a rotation is refused).
	movable []string
	// destroyable are those of movable whose file names the organisation:
	// the only keys the rotation's last step may destroy.
	destroyable []string
	// unowned are those of movable held here whose file names no
	// organisation: they are moved off but kept.
	unowned []string
}

// errRotationGone means the rotation row does not exist.
var errRotationGone = errors.New("rotation not found")

// readRotation reads and verifies the rotation's row in tx, locking it with
// lock ("FOR UPDATE", "FOR NO KEY UPDATE"). A rotation that is no longer
// running is returned unverified (with only its state): nothing is done for
// it. It returns errRotationGone if there is no row, ErrKeyNotHeld if this
// keyring does not hold the target (another server's work), an error
// wrapping ErrRotationUnattested if the row is not attested, and one
// wrapping ErrForeignKey if it retires another organisation's key.
func (m *Manager) readRotation(ctx context.Context, tx pgx.Tx, id, lock string) (attestedRotation, error) {
	var r attestedRotation
	var listed []string
	var tag []byte
	err := tx.QueryRow(ctx, `
		SELECT organization_id, new_key_id, state, retiring_key_ids, attestation
		FROM key_rotations WHERE id = $1 `+lock, id).Scan(&r.orgID, &r.target, &r.state, &listed, &tag)
	if errors.Is(err, pgx.ErrNoRows) {
		return attestedRotation{}, errRotationGone
	}
	if err != nil {
		return attestedRotation{}, fmt.Errorf("read rotation: %w", err)
	}
	if r.state != RotationRunning {
		return attestedRotation{state: r.state}, nil
	}
	if !m.keyring.Has(r.target) {
		return attestedRotation{}, fmt.Errorf("target key %s: %w", r.target, ErrKeyNotHeld)
	}
	err = m.keyring.CheckAttestation(r.target, rotationStatement(id, r.orgID, r.target, listed), tag)
	if err != nil {
		return attestedRotation{}, fmt.Errorf("rotation %s: %w", id, ErrRotationUnattested)
	}
	if owner, _ := m.keyring.Owner(r.target); owner != r.orgID {
		return attestedRotation{}, fmt.Errorf("rotation %s: target key %s is not a key of organisation %s: %w",
			id, r.target, r.orgID, ErrRotationUnattested)
	}
	for _, keyID := range listed {
		if keyID == r.target {
			continue
		}
		owner, named := m.keyring.Owner(keyID)
		switch {
		case named && owner != r.orgID:
			// Another organisation's key, relabelled in the database as
			// this one's: never touched, and the rotation cannot be
			// complete without it (its case keys would be counted but
			// never moved), so it fails rather than ending done.
			return attestedRotation{}, fmt.Errorf("rotation %s of organisation %s lists key %s of organisation %s: %w",
				id, r.orgID, keyID, owner, ErrForeignKey)
		case named:
			r.destroyable = append(r.destroyable, keyID)
		case m.keyring.Has(keyID):
			r.unowned = append(r.unowned, keyID)
		}
		r.movable = append(r.movable, keyID)
	}
	return r, nil
}

// AdoptLegacyKeys records, in the file of every held key that names no
// organisation yet (a key written before key files named one), the
// organisation the database gives it. It runs once per such file, at
// start-up: afterwards the file names its organisation and no row can
// change that. It returns how many files it adopted. A file that cannot be
// rewritten (a read-only keyring) is reported and left as it is; a
// rotation then moves case keys off it but never destroys it.
func (m *Manager) AdoptLegacyKeys(ctx context.Context) (int, error) {
	rows, err := m.pool.Query(ctx, "SELECT key_id, organization_id FROM organization_keys ORDER BY key_id")
	if err != nil {
		return 0, fmt.Errorf("adopt legacy keys: %w", err)
	}
	type pair struct{ keyID, orgID string }
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		err := r.Scan(&p.keyID, &p.orgID)
		return p, err
	})
	if err != nil {
		return 0, fmt.Errorf("adopt legacy keys: %w", err)
	}
	n := 0
	var firstErr error
	for _, p := range pairs {
		if _, named := m.keyring.Owner(p.keyID); named || !m.keyring.Has(p.keyID) {
			continue
		}
		if err := m.keyring.Adopt(p.keyID, p.orgID); err != nil {
			if errors.Is(err, vault.ErrNoKey) {
				continue // destroyed meanwhile
			}
			m.log.Warn("organisation key file names no organisation and cannot be updated; rotations will not destroy it",
				"key_id", p.keyID, "organization_id", p.orgID, "error", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		m.log.Info("organisation key file now names its organisation", "key_id", p.keyID, "organization_id", p.orgID)
		n++
	}
	if firstErr != nil {
		return n, fmt.Errorf("adopt legacy keys: %w", firstErr)
	}
	return n, nil
}
