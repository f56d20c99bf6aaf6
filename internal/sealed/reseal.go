package sealed

import (
	"context"
	"fmt"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// Reseal re-encrypts every sealed value of the case from old to new, on q
// (the re-keying transaction keys.ReplaceCaseKey hands over). Each value
// keeps its column, row and class binding. Plaintext lives only for the
// moment between the two and is cleared at once.
func Reseal(ctx context.Context, q db.Querier, caseID string, old, new *vault.CaseKey) error {
	values, err := Load(ctx, q, caseID)
	if err != nil {
		return err
	}
	for _, v := range values {
		ct, err := reseal(old, new, caseID, v)
		if err != nil {
			return fmt.Errorf("re-encrypt %s row %s of case %s: %w", v.Column, v.ID, caseID, err)
		}
		v.Ciphertext = ct
		if err := Store(ctx, q, caseID, v); err != nil {
			return err
		}
	}
	return nil
}

func reseal(old, new *vault.CaseKey, caseID string, v Value) ([]byte, error) {
	plain, err := v.Column.Open(old, caseID, v.ID, v.Class, v.Ciphertext)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return v.Column.Seal(new, caseID, v.ID, v.Class, plain)
}
