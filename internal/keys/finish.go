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

// finishRotation ends a rotation once no case key is left on the keys it
// moves case keys off: the keys it retires are destroyed in the keyring,
// each recorded in the audit log, and marked retired, and the rotation
// done. It reports blocked if rows remain (locked by other transactions,
// or added by an extension meanwhile).
//
// Nothing the database says destroys a key on its own (see attest.go). A
// key is destroyed only by the server that finishes the rotation, in the
// transaction that marks it done, and only if
//   - the rotation row verifies under its target key, which this keyring
//     holds and whose file names the rotation's organisation, and lists
//     the key (so a newer key of the organisation succeeds it: it is not
//     the active key);
//   - the key's own file names that organisation;
//   - and no wrapped case key names it (the database's word, which can
//     only hold a destruction back).
//
// The keys are destroyed before the transaction commits, so "retired" in
// the database always means "destroyed"; if the commit fails, the next
// attempt finds them already gone and records them then. No new case key
// can be wrapped to a retiring key (see activeKey), so an empty retiring
// key stays empty.
//
// If the rotation is no longer running (finished by another server, or so
// a row claims), this server destroys nothing: it re-reads the key
// directory, so that keys the finisher deleted from the shared directory
// leave its memory too.
func (m *Manager) finishRotation(ctx context.Context, id string) (stepOutcome, error) {
	outcome := blocked
	var rot attestedRotation
	var destroyed []string
	var finishedHere bool
	err := atomically(ctx, m.pool, func(tx pgx.Tx) error {
		var err error
		rot, err = m.readRotation(ctx, tx, id, "FOR UPDATE")
		switch {
		case errors.Is(err, errRotationGone):
			outcome = finished
			return nil
		case errors.Is(err, ErrKeyNotHeld):
			outcome = notMine
			return nil
		case err != nil:
			return err
		case rot.state != RotationRunning:
			outcome = finished
			return nil
		}
		var left bool
		if err := tx.QueryRow(ctx,
			"SELECT EXISTS (SELECT 1 FROM case_keys WHERE key_id = ANY($1))", rot.movable).Scan(&left); err != nil {
			return fmt.Errorf("count remaining case keys: %w", err)
		}
		if left {
			return nil
		}
		retiring, err := unusedKeys(ctx, tx, rot.orgID, KeyRetiring, rot.destroyable)
		if err != nil {
			return err
		}
		// Every key the rotation may destroy is empty (checked above), so
		// one the database no longer lists as a retiring key of the
		// organisation was relabelled or its state changed under the
		// rotation: destroying less than the attested list and reporting
		// done would leave a key that still opens old backups.
		if len(retiring) != len(rot.destroyable) {
			return fmt.Errorf("rotation %s of organisation %s: %d of %d retiring keys are not recorded as its retiring keys: %w",
				id, rot.orgID, len(rot.destroyable)-len(retiring), len(rot.destroyable), ErrRotationIncomplete)
		}
		if err := m.destroyAudited(ctx, tx, id, rot.orgID, retiring); err != nil {
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
		if err := m.keyring.Reload(); err != nil {
			m.log.Warn("re-read the key directory after a finished rotation", "rotation_id", id, "error", err)
		}
	}
	if finishedHere {
		m.log.Info("organisation key rotation finished",
			"organization_id", rot.orgID, "rotation_id", id, "destroyed_key_ids", destroyed)
		m.keyringChanged(rot.orgID, nil, destroyed)
		if len(rot.unowned) > 0 {
			m.log.Warn("retired organisation keys kept: their files name no organisation",
				"organization_id", rot.orgID, "rotation_id", id, "kept_key_ids", rot.unowned)
		}
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
// earlier attempt whose commit failed) is recorded all the same.
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
	case errors.Is(err, ErrForeignKey):
		return "a retiring key belongs to another organisation according to this server's keyring; the key records were altered"
	case errors.Is(err, ErrRotationIncomplete):
		return "a retiring key is no longer recorded as a retiring key of the organisation; the key records were altered"
	case errors.Is(err, ErrRotationUnattested):
		return "the rotation record is not attested by this server's keyring; start a new rotation"
	case errors.Is(err, vault.ErrCorrupt), errors.Is(err, vault.ErrWrongBinding), errors.Is(err, vault.ErrInvalidCaseID):
		return "a wrapped case key is corrupt or bound to another case"
	case errors.As(err, &pgErr):
		return "database error " + pgErr.Code
	default:
		return "re-wrapping failed repeatedly; see the server log"
	}
}
