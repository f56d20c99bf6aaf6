package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casebridge/casebridge/internal/vault"
)

// finishRotation ends a rotation once no case key of the organisation is
// left on a retiring key: the retiring keys are destroyed in the keyring and
// marked retired, and the rotation done. It reports blocked if rows remain
// (locked by other transactions, or added by an extension meanwhile).
//
// The keys are destroyed before the transaction commits, so "retired" in
// the database always means "destroyed"; if the commit fails, the next
// attempt finds them already gone. No new case key can be wrapped to a
// retiring key (see activeKey), so an empty retiring key stays empty.
//
// If the rotation is no longer running (another replica finished it), this
// replica destroys its own copies of the retired keys.
func (m *Manager) finishRotation(ctx context.Context, id string) (stepOutcome, error) {
	outcome := blocked
	var orgID string
	var destroyed []string
	var finishedHere bool
	err := atomically(ctx, m.pool, func(tx pgx.Tx) error {
		var state RotationState
		if err := tx.QueryRow(ctx,
			"SELECT organization_id, state FROM key_rotations WHERE id = $1 FOR UPDATE", id).
			Scan(&orgID, &state); err != nil {
			return fmt.Errorf("read rotation: %w", err)
		}
		if state != RotationRunning {
			outcome = finished
			return nil
		}
		var left bool
		if err := tx.QueryRow(ctx, `
			SELECT EXISTS (
				SELECT 1 FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
				WHERE ok.organization_id = $1 AND ok.state = 2)`, orgID).Scan(&left); err != nil {
			return fmt.Errorf("count remaining case keys: %w", err)
		}
		if left {
			return nil
		}
		rows, err := tx.Query(ctx, `
			SELECT key_id FROM organization_keys
			WHERE organization_id = $1 AND state = 2
			FOR UPDATE`, orgID)
		if err != nil {
			return fmt.Errorf("select retiring keys: %w", err)
		}
		retiring, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("select retiring keys: %w", err)
		}
		for _, keyID := range retiring {
			if err := m.keyring.Destroy(keyID); err != nil && !errors.Is(err, vault.ErrNoKey) {
				return fmt.Errorf("destroy key %s: %w", keyID, err)
			}
		}
		destroyed, finishedHere = retiring, true
		if _, err := tx.Exec(ctx, `
			UPDATE organization_keys SET state = 3, retire_time = now()
			WHERE organization_id = $1 AND state = 2`, orgID); err != nil {
			return fmt.Errorf("retire keys: %w", err)
		}
		if _, err := tx.Exec(ctx,
			"UPDATE key_rotations SET state = 2, finish_time = now() WHERE id = $1", id); err != nil {
			return fmt.Errorf("record completion: %w", err)
		}
		if err := notify(ctx, tx, rotationsChannel, id); err != nil {
			return err
		}
		outcome = finished
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("finish key rotation %s: %w", id, err)
	}
	if outcome == finished && !finishedHere {
		if err := m.destroyRetired(ctx, orgID); err != nil {
			return 0, fmt.Errorf("finish key rotation %s: %w", id, err)
		}
	}
	if finishedHere {
		m.log.Info("organisation key rotation finished",
			"organization_id", orgID, "rotation_id", id, "destroyed_key_ids", destroyed)
	}
	return outcome, nil
}

// destroyRetired destroys the keyring's copy of every retired key (of one
// organisation, or of all if orgID is empty). A retired key wraps nothing,
// so this only ever removes what an erasure or rotation meant to destroy.
func (m *Manager) destroyRetired(ctx context.Context, orgID string) error {
	rows, err := m.pool.Query(ctx, `
		SELECT key_id FROM organization_keys
		WHERE state = 3 AND ($1 = '' OR organization_id = $1)`, orgID)
	if err != nil {
		return fmt.Errorf("select retired keys: %w", err)
	}
	retired, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("select retired keys: %w", err)
	}
	for _, keyID := range retired {
		if !m.keyring.Has(keyID) {
			continue
		}
		if err := m.keyring.Destroy(keyID); err != nil && !errors.Is(err, vault.ErrNoKey) {
			return fmt.Errorf("destroy retired key %s: %w", keyID, err)
		}
		m.log.Info("retired organisation key destroyed", "key_id", keyID)
	}
	return nil
}

// failRotation records why a rotation stopped. The retiring keys stay
// retiring (still unwrapping); the next rotation of the organisation moves
// their case keys too.
func (m *Manager) failRotation(id string, cause error) {
	m.log.Error("key rotation failed", "rotation_id", id, "error", cause)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.pool.Exec(ctx, `
		UPDATE key_rotations SET state = 3, error = $2, finish_time = now()
		WHERE id = $1 AND state = 1`, id, publicReason(cause)); err != nil {
		m.log.Error("record key rotation failure", "rotation_id", id, "error", err)
	}
}

// publicReason describes a failure for key_rotations.error, which admins
// read through the API: only fixed phrases and SQLSTATE codes, never values
// from rows (case ids of other organisations, for one).
func publicReason(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, vault.ErrNoKey), errors.Is(err, ErrKeyNotHeld):
		return "a case key is wrapped to a retiring key this server's keyring does not hold"
	case errors.Is(err, vault.ErrCorrupt), errors.Is(err, vault.ErrWrongBinding), errors.Is(err, vault.ErrInvalidCaseID):
		return "a wrapped case key is corrupt or bound to another case"
	case errors.As(err, &pgErr):
		return "database error " + pgErr.Code
	default:
		return "re-wrapping failed repeatedly; see the server log"
	}
}
