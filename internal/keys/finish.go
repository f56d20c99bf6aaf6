package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/vault"
)

// finishRotation ends a rotation once no case key of the organisation is
// left on a retiring key: the keys the rotation retires are destroyed in the
// keyring, each recorded in the audit log, and marked retired, and the
// rotation done. It reports blocked if rows remain (locked by other
// transactions, or added by an extension meanwhile).
//
// Destroying a key is this step's alone, never a sweep over what the
// database calls retired: a restored database, or a row changed by hand,
// must not be able to delete the only key that opens a backup. So a key is
// destroyed only if the rotation listed it when it started or was extended,
// it is still retiring, and no wrapped case key names it.
//
// The keys are destroyed before the transaction commits, so "retired" in
// the database always means "destroyed"; if the commit fails, the next
// attempt finds them already gone and records them then. No new case key
// can be wrapped to a retiring key (see activeKey), so an empty retiring
// key stays empty.
//
// If the rotation is no longer running (another replica finished it), this
// replica destroys its own copies of the keys that rotation retired.
func (m *Manager) finishRotation(ctx context.Context, id string) (stepOutcome, error) {
	outcome := blocked
	var orgID string
	var destroyed []string
	var finishedHere bool
	err := atomically(ctx, m.pool, func(tx pgx.Tx) error {
		var state RotationState
		var listed []string
		if err := tx.QueryRow(ctx,
			"SELECT organization_id, state, retiring_key_ids FROM key_rotations WHERE id = $1 FOR UPDATE", id).
			Scan(&orgID, &state, &listed); err != nil {
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
		retiring, err := unusedKeys(ctx, tx, orgID, KeyRetiring, listed)
		if err != nil {
			return err
		}
		if err := m.destroyAudited(ctx, tx, id, orgID, retiring); err != nil {
			return err
		}
		destroyed, finishedHere = retiring, true
		if _, err := tx.Exec(ctx, `
			UPDATE organization_keys SET state = 3, retire_time = now()
			WHERE key_id = ANY($1)`, retiring); err != nil {
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
		if err := m.destroyCopies(ctx, id); err != nil {
			return 0, fmt.Errorf("finish key rotation %s: %w", id, err)
		}
	}
	if finishedHere {
		m.log.Info("organisation key rotation finished",
			"organization_id", orgID, "rotation_id", id, "destroyed_key_ids", destroyed)
	}
	return outcome, nil
}

// unusedKeys returns, locked, those of listed that are keys of the
// organisation in state and that no wrapped case key names.
func unusedKeys(ctx context.Context, tx pgx.Tx, orgID string, state KeyState, listed []string) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT ok.key_id FROM organization_keys ok
		WHERE ok.organization_id = $1 AND ok.state = $2 AND ok.key_id = ANY($3)
		  AND NOT EXISTS (SELECT 1 FROM case_keys ck WHERE ck.key_id = ok.key_id)
		ORDER BY ok.key_id
		FOR UPDATE OF ok`, orgID, state, listed)
	if err != nil {
		return nil, fmt.Errorf("select keys to destroy: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("select keys to destroy: %w", err)
	}
	return keys, nil
}

// destroyAudited destroys the keyring's copy of each key, recording each in
// the audit log in tx. A key this keyring does not hold (destroyed by an
// earlier attempt, or on a shared key directory by another replica) is
// recorded all the same.
func (m *Manager) destroyAudited(ctx context.Context, tx pgx.Tx, rotationID, orgID string, keyIDs []string) error {
	for _, keyID := range keyIDs {
		if err := audit.System(ctx, tx, audit.MethodDestroyKey, orgID,
			audit.Pair{Name: audit.DetailRotation, Value: rotationID},
			audit.Pair{Name: audit.DetailDestroyedKey, Value: keyID}); err != nil {
			return fmt.Errorf("audit destruction of key %s: %w", keyID, err)
		}
		if err := m.keyring.Destroy(keyID); err != nil && !errors.Is(err, vault.ErrNoKey) {
			return fmt.Errorf("destroy key %s: %w", keyID, err)
		}
	}
	return nil
}

// destroyCopies destroys this keyring's copies of the keys a rotation that
// another replica finished retired, under the same checks as the finisher:
// listed by the rotation, retired, named by no wrapped case key.
func (m *Manager) destroyCopies(ctx context.Context, rotationID string) error {
	return atomically(ctx, m.pool, func(tx pgx.Tx) error {
		var orgID string
		var listed []string
		err := tx.QueryRow(ctx,
			"SELECT organization_id, retiring_key_ids FROM key_rotations WHERE id = $1 AND state = 2", rotationID).
			Scan(&orgID, &listed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // failed, not finished: its keys still unwrap
		}
		if err != nil {
			return fmt.Errorf("read rotation: %w", err)
		}
		retired, err := unusedKeys(ctx, tx, orgID, KeyRetired, listed)
		if err != nil {
			return err
		}
		var held []string
		for _, keyID := range retired {
			if m.keyring.Has(keyID) {
				held = append(held, keyID)
			}
		}
		if len(held) == 0 {
			return nil
		}
		if err := m.destroyAudited(ctx, tx, rotationID, orgID, held); err != nil {
			return err
		}
		m.log.Info("retired organisation keys destroyed on this server",
			"organization_id", orgID, "rotation_id", rotationID, "destroyed_key_ids", held)
		return nil
	})
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
