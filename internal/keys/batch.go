package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/vault"
)

// rewrapBatch moves up to batchSize case keys of the rotation's organisation
// from retiring keys to the rotation's target key, in one transaction. It
// reports blocked when it found nothing to move (everything left, if
// anything, is locked by other transactions).
//
// Readers are never disturbed: each row is replaced by its re-wrapped copy
// in the same transaction, so a concurrent read sees either the old row
// (still unwrappable: retiring keys are destroyed only at the very end) or
// the new one. Rows are taken FOR UPDATE SKIP LOCKED together with their
// case row, so a case whose keys a caller is changing is simply picked up
// later, never waited for.
//
// Every row is unwrapped from the database, never taken from the cache:
// what is stored again must be exactly what was committed.
func (m *Manager) rewrapBatch(ctx context.Context, id string) (stepOutcome, error) {
	outcome := blocked
	start := time.Now()
	var n int
	err := atomically(ctx, m.pool, func(tx pgx.Tx) error {
		// Locking the rotation row first serialises batches (of this and
		// other replicas) with each other and with an erasure retargeting
		// the rotation, and always in the same order: rotation row, then
		// case rows (which are only ever skipped, never waited for). Shared
		// locks here would deadlock two workers both upgrading them to
		// record progress.
		rot, err := m.readRotation(ctx, tx, id, "FOR NO KEY UPDATE")
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
		newKeyID := rot.target
		recipient, ok := m.keyring.Recipient(newKeyID)
		if !ok {
			outcome = notMine
			return nil
		}

		// Only the attested retiring keys are moved off, never one the
		// database merely marks retiring (see attest.go).
		rows, err := tx.Query(ctx, `
			SELECT ck.case_id::text, ck.key_id, ck.wrapped
			FROM case_keys ck
			JOIN cases c ON c.id = ck.case_id
			WHERE ck.key_id = ANY($1)
			LIMIT $2
			FOR UPDATE OF ck SKIP LOCKED
			FOR NO KEY UPDATE OF c SKIP LOCKED`, rot.movable, m.batchSize)
		if err != nil {
			return fmt.Errorf("select case keys: %w", err)
		}
		type row struct {
			caseID, keyID string
			wrapped       []byte
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.caseID, &x.keyID, &x.wrapped)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("select case keys: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}

		caseIDs := make([]string, len(batch))
		oldKeyIDs := make([]string, len(batch))
		rewrapped := make([][]byte, len(batch))
		for i, r := range batch {
			key, err := m.unwrap(r.keyID, r.wrapped, r.caseID)
			if err != nil {
				return fmt.Errorf("unwrap key of case %s from key %s: %w", r.caseID, r.keyID, err)
			}
			w, err := vault.WrapCaseKey(key, r.caseID, recipient)
			key.Wipe()
			if err != nil {
				return fmt.Errorf("wrap key of case %s to key %s: %w", r.caseID, newKeyID, err)
			}
			caseIDs[i], oldKeyIDs[i], rewrapped[i] = r.caseID, r.keyID, w
		}

		// A row already on the target key (the case was granted to the
		// organisation again during the rotation) wraps the same case key.
		if _, err := tx.Exec(ctx, `
			INSERT INTO case_keys (case_id, key_id, wrapped)
			SELECT u.case_id::uuid, $2, u.wrapped
			FROM unnest($1::text[], $3::bytea[]) AS u(case_id, wrapped)
			ON CONFLICT (case_id, key_id) DO NOTHING`, caseIDs, newKeyID, rewrapped); err != nil {
			return fmt.Errorf("insert re-wrapped case keys: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			DELETE FROM case_keys ck
			USING unnest($1::text[], $2::text[]) AS u(case_id, key_id)
			WHERE ck.case_id = u.case_id::uuid AND ck.key_id = u.key_id`, caseIDs, oldKeyIDs); err != nil {
			return fmt.Errorf("delete old case keys: %w", err)
		}
		if _, err := tx.Exec(ctx,
			"UPDATE key_rotations SET done = done + $2 WHERE id = $1", id, len(batch)); err != nil {
			return fmt.Errorf("record progress: %w", err)
		}
		outcome, n = moved, len(batch)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("key rotation %s: %w", id, err)
	}
	if outcome == moved {
		m.log.Debug("case keys re-wrapped", "rotation_id", id, "count", n, "duration", time.Since(start))
	}
	return outcome, nil
}
