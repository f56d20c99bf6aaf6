package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
)

// RotationState is key_rotations.state.
type RotationState int16

const (
	// RotationRunning: a worker is (or, after a restart, will be) moving
	// case keys; at most one per organisation.
	RotationRunning RotationState = 1
	// RotationDone: every case key was moved and the retiring keys were
	// destroyed.
	RotationDone RotationState = 2
	// RotationFailed: the worker hit an error retrying cannot cure; the
	// retiring keys still unwrap, and the next rotation takes them over.
	RotationFailed RotationState = 3
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
	return m.StartRotationIn(ctx, m.pool, orgID)
}

// StartRotationIn is StartRotation inside q's transaction, so that what the
// caller records with it (its audit event) commits or rolls back with the
// rotation. The worker starts when the transaction commits (by the
// rotation's notification; call Work after the commit not to depend on it).
func (m *Manager) StartRotationIn(ctx context.Context, q db.Querier, orgID string) (Rotation, error) {
	if err := checkOrgID(orgID); err != nil {
		return Rotation{}, fmt.Errorf("start key rotation: %w", err)
	}
	var rot Rotation
	err := atomically(ctx, q, func(tx pgx.Tx) error {
		var err error
		rot, err = m.beginRotation(ctx, tx, orgID, false)
		return err
	})
	if err != nil {
		return Rotation{}, fmt.Errorf("start key rotation of organisation %s: %w", orgID, err)
	}
	if err := m.startWorkersIfPool(ctx, q, []Rotation{rot}); err != nil {
		return Rotation{}, fmt.Errorf("start key rotation of organisation %s: %w", orgID, err)
	}
	return rot, nil
}

// Work makes sure this server works on a committed rotation (a no-op if it
// already does or the rotation is over).
func (m *Manager) Work(rot Rotation) {
	if rot.ID != "" && rot.State == RotationRunning {
		m.startWorker(rot.ID)
	}
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
