package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
)

// ErrBadAttestation means an attestation does not verify under the key it
// claims: the statement was not made by a holder of that key.
var ErrBadAttestation = errors.New("vault: attestation does not verify")

// attestInfo separates the attestation key from every other use of an
// organisation key's secret.
const attestInfo = "casebridge organisation key attestation v1"

// Attest returns a tag over statement under a key derived (HKDF-SHA256)
// from the private half of the held key keyID. Only a holder of that
// private key can make or check it, so a statement stored in the database
// with its tag cannot be forged or altered by someone who can only write
// the database. It names no secret and can be stored freely.
func (k *Keyring) Attest(keyID string, statement []byte) ([]byte, error) {
	mac, err := k.attestMAC(keyID)
	if err != nil {
		return nil, fmt.Errorf("vault: attest with key %s: %w", keyID, err)
	}
	mac.Write(statement)
	return mac.Sum(nil), nil
}

// CheckAttestation verifies tag over statement under keyID (see Attest).
// It returns an error wrapping ErrNoKey if the key is not held, and
// ErrBadAttestation if the tag is wrong.
func (k *Keyring) CheckAttestation(keyID string, statement, tag []byte) error {
	want, err := k.Attest(keyID, statement)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, tag) {
		return fmt.Errorf("key %s: %w", keyID, ErrBadAttestation)
	}
	return nil
}

func (k *Keyring) attestMAC(keyID string) (hash.Hash, error) {
	if !k.Has(keyID) {
		return nil, ErrNoKey
	}
	k.mu.RLock()
	h, ok := k.keys[keyID]
	k.mu.RUnlock()
	if !ok {
		return nil, ErrNoKey
	}
	secret := []byte(h.identity.String())
	defer clear(secret)
	key, err := hkdf.Key(sha256.New, secret, nil, attestInfo, sha256.Size)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return hmac.New(sha256.New, key), nil
}
