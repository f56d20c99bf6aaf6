package keys

import (
	"context"
	"errors"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// beginRotation retires the organisation's active key in favour of a new
// one, inside q's transaction. With no rotation running it records a new
// one. With one running it returns it unchanged, unless extend is set: then
// the running rotation is retargeted to the new key, so that the key it was
// moving case keys to is retired as well.
//
// The new key file is written before the transaction commits; if the
// transaction rolls back, an unused key file is left behind (nothing is
// wrapped to it). A worker is started on commit by the notification.
func (m *Manager) beginRotation(ctx context.Context, q db.Querier, orgID string, extend bool) (Rotation, error) {
	if err := lockOrgKeys(ctx, q, orgID); err != nil {
		return Rotation{}, err
	}
	running, err := scanRotation(q.QueryRow(ctx,
		"SELECT "+rotationColumns+" FROM key_rotations WHERE organization_id = $1 AND state = 1 FOR UPDATE", orgID))
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Rotation{}, err
	}
	if found && !extend {
		return running, nil
	}

	// Taking the row lock waits for every transaction that is wrapping a
	// case key to this key (they hold it FOR SHARE), so all their rows are
	// visible to the count below.
	var oldKeyID string
	err = q.QueryRow(ctx, `
		UPDATE organization_keys SET state = 2
		WHERE organization_id = $1 AND state = 1
		RETURNING key_id`, orgID).Scan(&oldKeyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Rotation{}, ErrNoActiveKey
	}
	if err != nil {
		return Rotation{}, err
	}
	info, err := m.keyring.GenerateFor(orgID)
	if err != nil {
		return Rotation{}, err
	}
	recorded := false
	defer func() {
		if !recorded {
			m.destroyUnused(info.ID)
		}
	}()
	if _, err := q.Exec(ctx, `
		INSERT INTO organization_keys (key_id, organization_id, recipient, state)
		VALUES ($1, $2, $3, 1)`, info.ID, orgID, info.Recipient); err != nil {
		return Rotation{}, err
	}

	var rot Rotation
	if found {
		// The previous target retires with the keys already listed.
		rot, err = scanRotation(q.QueryRow(ctx, `
			UPDATE key_rotations
			SET new_key_id = $2,
			    total = total + (SELECT count(*) FROM case_keys WHERE key_id = $3),
			    retiring_key_ids = array_append(array_remove(retiring_key_ids, $3), $3)
			WHERE id = $1
			RETURNING `+rotationColumns, running.ID, info.ID, oldKeyID))
	} else {
		// It retires the old key and any a failed rotation left retiring.
		rot, err = scanRotation(q.QueryRow(ctx, `
			INSERT INTO key_rotations (id, organization_id, old_key_id, new_key_id, state, total, retiring_key_ids)
			VALUES (gen_random_uuid(), $1, $2, $3, 1,
			        (SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			         WHERE ok.organization_id = $1 AND ok.state = 2),
			        ARRAY(SELECT key_id FROM organization_keys WHERE organization_id = $1 AND state = 2 ORDER BY key_id))
			RETURNING `+rotationColumns, orgID, oldKeyID, info.ID))
	}
	if err != nil {
		return Rotation{}, err
	}
	// Only what this attestation covers will ever be moved or destroyed.
	if err := m.attestRotation(ctx, q, rot.ID); err != nil {
		return Rotation{}, err
	}
	if err := notify(ctx, q, rotationsChannel, rot.ID); err != nil {
		return Rotation{}, err
	}
	recorded = true
	m.keyringChanged(orgID, []string{info.ID}, nil)
	m.log.Info("organisation key rotation started",
		"organization_id", orgID, "rotation_id", rot.ID, "retiring_key_id", oldKeyID,
		"new_key_id", info.ID, "extended", found)
	return rot, nil
}

// startWorkersIfPool starts workers right away when q is not a transaction;
// inside a transaction the commit notification starts them. With a
// dispatcher the rotations are enqueued instead, in q's transaction.
func (m *Manager) startWorkersIfPool(ctx context.Context, q db.Querier, rots []Rotation) error {
	if m.dispatcher() != nil {
		return m.enqueueIn(ctx, q, rots)
	}
	if _, ok := q.(*pgxpool.Pool); ok {
		for _, r := range rots {
			m.startWorker(r.ID)
		}
	}
	return nil
}
