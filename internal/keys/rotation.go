package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RotationState is key_rotations.state.
type RotationState int16

const (
	RotationRunning RotationState = 1
	RotationDone    RotationState = 2
	RotationFailed  RotationState = 3
)

// Rotation is the progress of re-wrapping an organisation's case keys from
// its retiring key(s) to its active key.
type Rotation struct {
	ID             string
	OrganizationID string
	// OldKeyID is the key that was active when the rotation started.
	OldKeyID string
	// NewKeyID is the key case keys are moved to. An erasure during the
	// rotation replaces it with a fresher one (see RotateAfterShred); the
	// previous target then retires with OldKeyID.
	NewKeyID string
	State    RotationState
	// Total counts the case keys that were on retiring keys when the
	// rotation started or was extended; Done counts those moved so far.
	Total, Done int64
	// Error says why a failed rotation stopped; it never holds secrets.
	Error      string
	CreateTime time.Time
	FinishTime time.Time // zero while running
}

const rotationColumns = `id::text, organization_id, old_key_id, new_key_id, state,
	total, done, error, create_time, finish_time`

func scanRotation(row pgx.Row) (Rotation, error) {
	var r Rotation
	var finished *time.Time
	err := row.Scan(&r.ID, &r.OrganizationID, &r.OldKeyID, &r.NewKeyID, &r.State,
		&r.Total, &r.Done, &r.Error, &r.CreateTime, &finished)
	if finished != nil {
		r.FinishTime = *finished
	}
	return r, err
}

// StartRotation replaces the organisation's active key: a new key pair is
// generated, the old key becomes retiring, and a background worker moves
// every case key to the new key in small transactions, then destroys the old
// key. The server keeps serving meanwhile. If a rotation of the organisation
// is already running, StartRotation returns it and starts nothing.
func (m *Manager) StartRotation(ctx context.Context, orgID string) (Rotation, error) {
	if err := checkOrgID(orgID); err != nil {
		return Rotation{}, fmt.Errorf("start key rotation: %w", err)
	}
	var rot Rotation
	err := atomically(ctx, m.pool, func(tx pgx.Tx) error {
		var err error
		rot, err = m.beginRotation(ctx, tx, orgID, false)
		return err
	})
	if err != nil {
		return Rotation{}, fmt.Errorf("start key rotation of organisation %s: %w", orgID, err)
	}
	m.startWorker(rot.ID)
	return rot, nil
}

// GetRotation reports a rotation of the organisation.
func (m *Manager) GetRotation(ctx context.Context, orgID, id string) (Rotation, error) {
	if err := checkOrgID(orgID); err != nil {
		return Rotation{}, fmt.Errorf("get key rotation: %w", err)
	}
	if err := checkUUID("rotation id", id); err != nil {
		return Rotation{}, fmt.Errorf("get key rotation: %w", err)
	}
	rot, err := scanRotation(m.pool.QueryRow(ctx,
		"SELECT "+rotationColumns+" FROM key_rotations WHERE id = $1 AND organization_id = $2", id, orgID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrRotationNotFound
	}
	if err != nil {
		return Rotation{}, fmt.Errorf("get key rotation %s of organisation %s: %w", id, orgID, err)
	}
	return rot, nil
}

// ResumeRotations is called at start-up: it destroys any retired key the
// keyring still holds (a crash or another replica may have left one) and
// restarts a worker for every running rotation. From then on the Manager
// also looks for running rotations whenever its notification connection is
// re-established. It returns how many rotations are running.
func (m *Manager) ResumeRotations(ctx context.Context) (int, error) {
	m.participating.Store(true)
	if err := m.destroyRetired(ctx, ""); err != nil {
		return 0, fmt.Errorf("resume key rotations: %w", err)
	}
	n, err := m.resumeRunning(ctx)
	if err != nil {
		return 0, fmt.Errorf("resume key rotations: %w", err)
	}
	return n, nil
}

// resumeRunning starts a worker for every running rotation.
func (m *Manager) resumeRunning(ctx context.Context) (int, error) {
	rows, err := m.pool.Query(ctx, "SELECT id::text FROM key_rotations WHERE state = 1")
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		m.startWorker(id)
	}
	return len(ids), nil
}

// beginRotation retires the organisation's active key in favour of a new
// one, inside q's transaction. With no rotation running it records a new
// one. With one running it returns it unchanged, unless extend is set: then
// the running rotation is retargeted to the new key, so that the key it was
// moving case keys to is retired as well.
//
// The new key file is written before the transaction commits; if the
// transaction rolls back, an unused key file is left behind (nothing is
// wrapped to it). A worker is started on commit by the notification.
func (m *Manager) beginRotation(ctx context.Context, q Querier, orgID string, extend bool) (Rotation, error) {
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
	info, err := m.keyring.Generate()
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
		rot, err = scanRotation(q.QueryRow(ctx, `
			UPDATE key_rotations
			SET new_key_id = $2,
			    total = total + (SELECT count(*) FROM case_keys WHERE key_id = $3)
			WHERE id = $1
			RETURNING `+rotationColumns, running.ID, info.ID, oldKeyID))
	} else {
		rot, err = scanRotation(q.QueryRow(ctx, `
			INSERT INTO key_rotations (id, organization_id, old_key_id, new_key_id, state, total)
			VALUES (gen_random_uuid(), $1, $2, $3, 1,
			        (SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			         WHERE ok.organization_id = $1 AND ok.state = 2))
			RETURNING `+rotationColumns, orgID, oldKeyID, info.ID))
	}
	if err != nil {
		return Rotation{}, err
	}
	if err := notify(ctx, q, rotationsChannel, rot.ID); err != nil {
		return Rotation{}, err
	}
	recorded = true
	m.log.Info("organisation key rotation started",
		"organization_id", orgID, "rotation_id", rot.ID, "retiring_key_id", oldKeyID,
		"new_key_id", info.ID, "extended", found)
	return rot, nil
}

// startWorkersIfPool starts workers right away when q is not a transaction;
// inside a transaction the commit notification starts them.
func (m *Manager) startWorkersIfPool(q Querier, rots []Rotation) {
	if _, ok := q.(*pgxpool.Pool); ok {
		for _, r := range rots {
			m.startWorker(r.ID)
		}
	}
}
