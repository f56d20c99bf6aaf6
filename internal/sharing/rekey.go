package sharing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// sealed is one stored ciphertext of a case and what it is bound to.
type sealed struct {
	id      string // note id; empty for a class of case_secrets
	class   int16
	binding string
	ct      []byte
}

// reencrypt re-seals every ciphertext of the case from old to new, on q
// (the re-keying transaction keys.ReplaceCaseKey hands over):
// the sensitive classes (bound to the case id) and the notes (bound to
// NoteBinding). Plaintext lives only for the moment between the two and is
// cleared at once.
func reencrypt(ctx context.Context, q db.Querier, caseID string, old, new *vault.CaseKey) error {
	secrets, err := loadSealed(ctx, q, caseID,
		`SELECT '', class, ciphertext FROM case_secrets WHERE case_id = $1 ORDER BY class`)
	if err != nil {
		return err
	}
	notes, err := loadSealed(ctx, q, caseID,
		`SELECT id::text, class, ciphertext FROM case_notes WHERE case_id = $1 ORDER BY id`)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		s.binding = caseID
		ct, err := reseal(old, new, s)
		if err != nil {
			return fmt.Errorf("re-encrypt %s of case %s: %w", className(s.class), caseID, err)
		}
		if _, err := q.Exec(ctx, `UPDATE case_secrets SET ciphertext = $3 WHERE case_id = $1 AND class = $2`,
			caseID, s.class, ct); err != nil {
			return fmt.Errorf("store re-encrypted %s of case %s: %w", className(s.class), caseID, err)
		}
	}
	for _, n := range notes {
		n.binding = NoteBinding(caseID, n.id)
		ct, err := reseal(old, new, n)
		if err != nil {
			return fmt.Errorf("re-encrypt note %s of case %s: %w", n.id, caseID, err)
		}
		if _, err := q.Exec(ctx, `UPDATE case_notes SET ciphertext = $2 WHERE id = $1`, n.id, ct); err != nil {
			return fmt.Errorf("store re-encrypted note %s of case %s: %w", n.id, caseID, err)
		}
	}
	return nil
}

// loadSealed reads ciphertexts whole before any is rewritten: a transaction
// cannot update while a result set is still open on its connection.
func loadSealed(ctx context.Context, q db.Querier, caseID, sql string) ([]sealed, error) {
	rows, err := q.Query(ctx, sql, caseID)
	if err != nil {
		return nil, fmt.Errorf("load ciphertexts of case %s: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sealed, error) {
		var s sealed
		err := row.Scan(&s.id, &s.class, &s.ct)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("load ciphertexts of case %s: %w", caseID, err)
	}
	return out, nil
}

func reseal(old, new *vault.CaseKey, s sealed) ([]byte, error) {
	class := className(s.class)
	plain, err := vault.Open(old, s.binding, class, s.ct)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return vault.Seal(new, s.binding, class, plain)
}

func className(c int16) vault.Class { return dataclass.Name(casebridgev1.DataClass(c)) }
