package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// KeyState is organization_keys.state.
type KeyState int16

const (
	// KeyActive: new case keys of the organisation are wrapped to it. There
	// is at most one per organisation.
	KeyActive KeyState = 1
	// KeyRetiring: a rotation is moving case keys off it; it still unwraps
	// until the last one has moved.
	KeyRetiring KeyState = 2
	// KeyRetired: no case key is wrapped to it and its private half has been
	// destroyed.
	KeyRetired KeyState = 3
)

// OrgKey describes one organisation key by its public half.
type OrgKey struct {
	ID             string
	OrganizationID string
	Recipient      string
	State          KeyState
	CreateTime     time.Time
	RetireTime     time.Time // zero unless retired
	// Held reports whether this server's keyring holds the private half.
	Held bool
}

// maxOrgKeys bounds ListOrgKeys; an organisation gains one key per rotation.
const maxOrgKeys = 1000

// EnsureOrgKey returns the organisation's active key, generating one in the
// keyring and recording it if the organisation has none yet. Call it when an
// organisation is created or seeded, in the same transaction.
//
// The new key file is written before the transaction commits; if the
// caller's transaction then rolls back, an unused key file is left in the
// key directory (nothing is wrapped to it).
func (m *Manager) EnsureOrgKey(ctx context.Context, q db.Querier, orgID string) (vault.KeyInfo, error) {
	if err := checkOrgID(orgID); err != nil {
		return vault.KeyInfo{}, fmt.Errorf("ensure key of organisation: %w", err)
	}
	var info vault.KeyInfo
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		if err := lockOrgKeys(ctx, tx, orgID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `
			SELECT key_id, recipient FROM organization_keys
			WHERE organization_id = $1 AND state = 1`, orgID).Scan(&info.ID, &info.Recipient)
		if err == nil {
			if err := m.checkHeld(info); err != nil {
				return err
			}
			return m.checkOwned(orgID, info.ID)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		info, err = m.keyring.GenerateFor(orgID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO organization_keys (key_id, organization_id, recipient, state)
			VALUES ($1, $2, $3, 1)`, info.ID, orgID, info.Recipient); err != nil {
			m.destroyUnused(info.ID)
			return err
		}
		m.keyringChanged(orgID, []string{info.ID}, nil)
		return nil
	})
	if err != nil {
		return vault.KeyInfo{}, fmt.Errorf("ensure key of organisation %s: %w", orgID, err)
	}
	return info, nil
}

// ListOrgKeys lists the organisation's keys, newest first.
func (m *Manager) ListOrgKeys(ctx context.Context, orgID string) ([]OrgKey, error) {
	if err := checkOrgID(orgID); err != nil {
		return nil, fmt.Errorf("list keys of organisation: %w", err)
	}
	rows, err := m.pool.Query(ctx, `
		SELECT key_id, organization_id, recipient, state, create_time, retire_time
		FROM organization_keys WHERE organization_id = $1
		ORDER BY create_time DESC, key_id LIMIT $2`, orgID, maxOrgKeys)
	if err != nil {
		return nil, fmt.Errorf("list keys of organisation %s: %w", orgID, err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OrgKey, error) {
		var k OrgKey
		var retired *time.Time
		err := r.Scan(&k.ID, &k.OrganizationID, &k.Recipient, &k.State, &k.CreateTime, &retired)
		if retired != nil {
			k.RetireTime = *retired
		}
		k.Held = m.keyring.Has(k.ID)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list keys of organisation %s: %w", orgID, err)
	}
	return keys, nil
}

// lockOrgKeys serialises changes to one organisation's keys (creating the
// first key, starting or extending a rotation) for the rest of the
// transaction, without locking any row other code uses.
func lockOrgKeys(ctx context.Context, q db.Querier, orgID string) error {
	_, err := q.Exec(ctx,
		"SELECT pg_advisory_xact_lock(hashtextextended('casebridge.organization_keys:' || $1, 0))", orgID)
	return err
}

// activeKey returns the organisation key new wraps must use, and locks its
// row FOR SHARE until the transaction ends. The lock is what makes rotation
// safe: a rotation retires the key with an UPDATE, which waits until every
// transaction wrapping to it has committed, so no row can land on a key
// after the rotation has started counting and moving them.
//
// The recipient comes from the keyring, not from the database (see
// ErrKeyNotHeld).
func (m *Manager) activeKey(ctx context.Context, q db.Querier, orgID string) (vault.KeyInfo, error) {
	// If a rotation commits while we wait for the row lock, the old row no
	// longer qualifies and the new one is not in this statement's snapshot:
	// the second attempt sees it.
	for range 2 {
		var info vault.KeyInfo
		err := q.QueryRow(ctx, `
			SELECT key_id, recipient FROM organization_keys
			WHERE organization_id = $1 AND state = 1
			FOR SHARE`, orgID).Scan(&info.ID, &info.Recipient)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return vault.KeyInfo{}, fmt.Errorf("active key of organisation %s: %w", orgID, err)
		}
		if err := m.checkHeld(info); err != nil {
			return vault.KeyInfo{}, fmt.Errorf("active key of organisation %s: %w", orgID, err)
		}
		if err := m.checkOwned(orgID, info.ID); err != nil {
			return vault.KeyInfo{}, fmt.Errorf("active key of organisation %s: %w", orgID, err)
		}
		return info, nil
	}
	return vault.KeyInfo{}, fmt.Errorf("organisation %s: %w", orgID, ErrNoActiveKey)
}

// checkHeld verifies that the keyring holds the key and agrees with the
// database about its public half.
func (m *Manager) checkHeld(info vault.KeyInfo) error {
	recipient, ok := m.keyring.Recipient(info.ID)
	if !ok {
		return fmt.Errorf("key %s: %w", info.ID, ErrKeyNotHeld)
	}
	if recipient != info.Recipient {
		return fmt.Errorf("key %s: recipient in the database differs from the keyring: %w", info.ID, ErrKeyNotHeld)
	}
	return nil
}

// checkOwned refuses a key whose file names an organisation other than
// orgID: the database row saying it is orgID's was relabelled, and
// wrapping orgID's case keys to it would hand them to the other
// organisation (and let an erasure miss the key). A file that names no
// organisation (written before key files named one) is left to the
// database's word until AdoptLegacyKeys names it.
func (m *Manager) checkOwned(orgID, keyID string) error {
	owner, named := m.keyring.Owner(keyID)
	if !named || owner == orgID {
		return nil
	}
	m.log.Error("the database names another organisation's key as this organisation's active key; refusing to use it",
		"organization_id", orgID, "key_id", keyID, "key_owner", owner)
	return fmt.Errorf("key %s is a key of organisation %s: %w", keyID, owner, ErrForeignKey)
}

// destroyUnused removes a key that was generated but could not be recorded.
func (m *Manager) destroyUnused(keyID string) {
	if err := m.keyring.Destroy(keyID); err != nil {
		m.log.Error("destroy unrecorded organisation key", "key_id", keyID, "error", err)
	}
}
