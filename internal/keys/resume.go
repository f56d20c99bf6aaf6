package keys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ResumeRotations is called at start-up: it restarts a worker for every
// running rotation. From then on the Manager also looks for running
// rotations whenever its notification connection is re-established. It
// returns how many rotations are running.
//
// It destroys nothing: what the database marks retired may be a restored
// database next to an older keyring, or a row changed by hand, and a key
// deleted on that word could be the only one that opens a backup. Keys are
// destroyed only by the last step of a rotation (see finishRotation).
func (m *Manager) ResumeRotations(ctx context.Context) (int, error) {
	m.participating.Store(true)
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
