package sealed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
)

// ErrErased means the case was erased: its key is shredded, nothing new
// can be sealed for it and nothing sealed can be opened.
var ErrErased = errors.New("the case is erased")

// SealTexts seals v (a struct of a row's free-text fields, with JSON names
// that are the names of the plain columns they replace) for row id of case
// caseID in column c. A v with every field empty is stored as no
// ciphertext (nil).
func SealTexts(c *vault.Column, key *vault.CaseKey, caseID, id string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s of case %s: %w", c, caseID, err)
	}
	defer clear(plain)
	if string(plain) == "{}" {
		return nil, nil
	}
	return c.Seal(key, caseID, id, c.Class(), plain)
}

// OpenTexts opens what SealTexts sealed into v; no ciphertext leaves v as
// it is.
func OpenTexts(c *vault.Column, key *vault.CaseKey, caseID, id string, ct []byte, v any) error {
	if ct == nil {
		return nil
	}
	plain, err := c.Open(key, caseID, id, c.Class(), ct)
	if err != nil {
		return err
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("decode %s of case %s: %w", c, caseID, err)
	}
	return nil
}

// WriteKey returns the key to seal new values of the case under. A case
// that has none yet (imported without sensitive data) gets one now,
// wrapped to its owner; an erased case gets [ErrErased].
func WriteKey(ctx context.Context, km *keys.Manager, q db.Querier, caseID string) (*vault.CaseKey, error) {
	key, err := km.CaseKey(ctx, q, caseID)
	if err == nil || !errors.Is(err, keys.ErrNoCaseKey) {
		return key, err
	}
	var owner string
	var erased bool
	if err := q.QueryRow(ctx, `SELECT organization_id, erase_time IS NOT NULL FROM cases WHERE id = $1`, caseID).Scan(&owner, &erased); err != nil {
		return nil, fmt.Errorf("load case %s: %w", caseID, err)
	}
	if erased {
		return nil, ErrErased
	}
	return km.CreateCaseKey(ctx, q, caseID, owner)
}

// ReadKey returns the key to open values of the case with, or nil when
// the case has no key this server can use (it was erased, or never had
// sensitive data): its values are then reported redacted.
func ReadKey(ctx context.Context, km *keys.Manager, q db.Querier, caseID string) (*vault.CaseKey, error) {
	key, err := km.CaseKey(ctx, q, caseID)
	if errors.Is(err, keys.ErrNoCaseKey) {
		return nil, nil
	}
	return key, err
}

// SealRow seals v, a row's texts, for row id of case caseID in column c
// under the case's key, in q; an empty row (empty) has no ciphertext. An
// erased case takes nothing new: FailedPrecondition.
func SealRow(ctx context.Context, km *keys.Manager, q db.Querier, c *vault.Column, caseID, id string, v any, empty bool) ([]byte, error) {
	if empty {
		return nil, nil
	}
	key, err := WriteKey(ctx, km, q, caseID)
	if errors.Is(err, ErrErased) {
		return nil, rpcerr.FailedPrecondition("case %s is erased", caseID)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	defer key.Wipe()
	return SealTexts(c, key, caseID, id, v)
}

// OpenRow opens ct, a row's texts sealed in column c, into v; for an
// erased case (its key shredded) v stays empty. A ciphertext that fails
// its binding or integrity check is DataLoss, never someone else's text.
func OpenRow(ctx context.Context, km *keys.Manager, q db.Querier, c *vault.Column, caseID, id string, ct []byte, v any) error {
	if ct == nil {
		return nil
	}
	key, err := ReadKey(ctx, km, q, caseID)
	if err != nil || key == nil {
		return err
	}
	defer key.Wipe()
	err = OpenTexts(c, key, caseID, id, ct, v)
	if errors.Is(err, vault.ErrWrongBinding) || errors.Is(err, vault.ErrCorrupt) {
		return rpcerr.DataLoss("the stored texts of %s failed their integrity check", id)
	}
	if err != nil {
		return fmt.Errorf("open %s of row %s: %w", c, id, err)
	}
	return nil
}
