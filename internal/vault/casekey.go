package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// caseKeySize is the length of a case data key in bytes.
const caseKeySize = 32

// caseKeyMagic starts every wrapped case key payload, versioning the format
// and separating it from any other age payload the organisation keys decrypt.
const caseKeyMagic = "casebridge-casekey-v1\n"

// CaseKey is one case's data key. Every sensitive field of the case is
// sealed under it, and it only ever leaves memory wrapped to organisation
// keys. Its bytes are unexported and it formats as "redacted" so it cannot be
// logged by accident; call Wipe when done with it.
//
// It also holds the field wrapping key derived from it (see newFieldKey),
// derived once when the key is made or unwrapped and copied with it, so that
// opening a case's fields repeats no key derivation. A CaseKey is never
// written after it is made, so one may be read by several goroutines.
type CaseKey struct {
	b    [caseKeySize]byte
	wrap [caseKeySize]byte // HKDF(b, fieldKeyInfo); zero when not derived
}

// newCaseKeyFrom makes a key of b with its derived wrapping key.
func newCaseKeyFrom(b *[caseKeySize]byte) (*CaseKey, error) {
	k := &CaseKey{b: *b}
	wk, err := deriveWrapKey(&k.b)
	if err != nil {
		k.Wipe()
		return nil, err
	}
	k.wrap = wk
	return k, nil
}

// NewCaseKey returns a fresh random key for a new case (or for re-keying a
// case after a suspected leak).
func NewCaseKey() (*CaseKey, error) {
	var b [caseKeySize]byte
	defer clear(b[:])
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("vault: new case key: %w", err)
	}
	k, err := newCaseKeyFrom(&b)
	if err != nil {
		return nil, fmt.Errorf("vault: new case key: %w", err)
	}
	return k, nil
}

// Wipe zeroes the key so it no longer lingers in memory; a wiped key is
// refused by every operation. Calling Wipe on nil is a no-op.
func (k *CaseKey) Wipe() {
	if k != nil {
		clear(k.b[:])
		clear(k.wrap[:])
	}
}

// Format implements fmt.Formatter so that no verb (%v, %x, %d, %#v...) can
// print the key bytes into a log.
func (CaseKey) Format(f fmt.State, _ rune) {
	io.WriteString(f, "vault.CaseKey(redacted)")
}

// clone returns an independent copy, so a holder is unaffected when the
// original is wiped.
func (k *CaseKey) clone() *CaseKey {
	c := &CaseKey{b: k.b, wrap: k.wrap}
	return c
}

// usable rejects nil and wiped keys.
func (k *CaseKey) usable() error {
	if k == nil || k.b == [caseKeySize]byte{} {
		return ErrWipedKey
	}
	return nil
}

// WrapCaseKey encrypts key to the given age X25519 recipients ("age1...")
// so it can be stored beside the case in the database. The payload binds
// caseID, so a wrapped key copied onto another case's row is refused by
// [Keyring.UnwrapCaseKey]. Wrap to more than one recipient during rotation.
func WrapCaseKey(key *CaseKey, caseID string, recipients ...string) ([]byte, error) {
	if err := key.usable(); err != nil {
		return nil, fmt.Errorf("vault: wrap case key: %w", err)
	}
	if err := checkCaseID(caseID); err != nil {
		return nil, fmt.Errorf("vault: wrap case key: %w", err)
	}
	if len(recipients) == 0 {
		return nil, errors.New("vault: wrap case key: no recipients")
	}
	rs := make([]age.Recipient, 0, len(recipients))
	for i, s := range recipients {
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, fmt.Errorf("vault: wrap case key: recipient #%d: %w", i, err)
		}
		rs = append(rs, r)
	}

	payload := make([]byte, 0, len(caseKeyMagic)+len(caseID)+1+caseKeySize)
	payload = append(payload, caseKeyMagic...)
	payload = append(payload, caseID...)
	payload = append(payload, '\n')
	payload = append(payload, key.b[:]...)
	defer clear(payload)

	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, fmt.Errorf("vault: wrap case key: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, fmt.Errorf("vault: wrap case key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("vault: wrap case key: %w", err)
	}
	return buf.Bytes(), nil
}

// UnwrapCaseKey decrypts a wrapped case key with whichever held organisation
// key matches. It returns an error wrapping [ErrNoKey] if none does (for
// instance after the key was destroyed), [ErrWrongBinding] if the key was
// wrapped for a different case, and [ErrCorrupt] if wrapped is damaged.
func (k *Keyring) UnwrapCaseKey(wrapped []byte, caseID string) (*CaseKey, error) {
	if err := checkCaseID(caseID); err != nil {
		return nil, fmt.Errorf("vault: unwrap case key: %w", err)
	}
	ids := k.identities()
	if len(ids) == 0 {
		return nil, fmt.Errorf("vault: unwrap case key: keyring is empty: %w", ErrNoKey)
	}
	return unwrapWith(wrapped, caseID, ids...)
}

// unwrapWith decrypts wrapped with ids and checks the case binding.
func unwrapWith(wrapped []byte, caseID string, ids ...age.Identity) (*CaseKey, error) {
	if err := checkCaseID(caseID); err != nil {
		return nil, fmt.Errorf("vault: unwrap case key: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), ids...)
	if err != nil {
		if _, ok := errors.AsType[*age.NoIdentityMatchError](err); ok {
			return nil, fmt.Errorf("vault: unwrap case key: %w", ErrNoKey)
		}
		return nil, fmt.Errorf("vault: unwrap case key: %w: %w", ErrCorrupt, err)
	}
	const maxPayload = len(caseKeyMagic) + maxCaseIDLen + 1 + caseKeySize
	payload, err := io.ReadAll(io.LimitReader(r, int64(maxPayload)+1))
	defer clear(payload)
	if err != nil {
		return nil, fmt.Errorf("vault: unwrap case key: %w: %w", ErrCorrupt, err)
	}

	rest, ok := bytes.CutPrefix(payload, []byte(caseKeyMagic))
	if !ok || len(payload) > maxPayload {
		return nil, fmt.Errorf("vault: unwrap case key: %w: unrecognised payload", ErrCorrupt)
	}
	bound, keyBytes, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok || len(keyBytes) != caseKeySize {
		return nil, fmt.Errorf("vault: unwrap case key: %w: unrecognised payload", ErrCorrupt)
	}
	if string(bound) != caseID {
		return nil, fmt.Errorf("vault: unwrap case key: %w", ErrWrongBinding)
	}
	var b [caseKeySize]byte
	defer clear(b[:])
	copy(b[:], keyBytes)
	if b == [caseKeySize]byte{} {
		return nil, fmt.Errorf("vault: unwrap case key: %w: all-zero key", ErrCorrupt)
	}
	key, err := newCaseKeyFrom(&b)
	if err != nil {
		return nil, fmt.Errorf("vault: unwrap case key: %w", err)
	}
	return key, nil
}
