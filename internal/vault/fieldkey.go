package vault

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/casebridge/casebridge/internal/dataclass"
)

const (
	// fieldStanzaType is the age recipient stanza type of a sealed field.
	fieldStanzaType = "casebridge-casekey"
	// fieldKeyInfo is the HKDF info deriving the stanza wrapping key from a
	// case key, keeping it independent of any other use of the case key.
	fieldKeyInfo = "casebridge field key v1"
	// fieldAADPrefix starts the associated data that binds a stanza to its
	// case and class.
	fieldAADPrefix = fieldStanzaType + "\x00"
	// ageFileKeySize is the size of an age v1 file key.
	ageFileKeySize = 16
	// fieldStanzaBodySize is nonce || sealed file key || Poly1305 tag.
	fieldStanzaBodySize = chacha20poly1305.NonceSizeX + ageFileKeySize + chacha20poly1305.Overhead
)

// fieldKey is both the age.Recipient that seals a field and the
// age.Identity that opens it. Its stanza is
//
//	-> casebridge-casekey <caseID> <class>
//	XChaCha20-Poly1305(HKDF(caseKey), nonce, fileKey, AAD = prefix||caseID||0||class)
//
// The arguments are in the clear (so a mismatch is reported as
// ErrWrongBinding) and authenticated through the AAD, so moving a ciphertext
// to another case or column, or editing its header, makes it fail to open.
type fieldKey struct {
	aead   cipher.AEAD
	caseID string
	class  dataclass.Class
	aad    []byte
}

var (
	_ age.Recipient = (*fieldKey)(nil)
	_ age.Identity  = (*fieldKey)(nil)
)

// newFieldKey derives the wrapping key for one (case, class) binding. The
// caller has validated caseID and class.
func newFieldKey(key *CaseKey, caseID string, class dataclass.Class) (*fieldKey, error) {
	if err := key.usable(); err != nil {
		return nil, err
	}
	wk := key.wrap
	defer clear(wk[:])
	if wk == [chacha20poly1305.KeySize]byte{} {
		// A key made without its derived key (none is, but a zero
		// value must not seal under an all-zero wrapping key).
		var err error
		if wk, err = deriveWrapKey(&key.b); err != nil {
			return nil, err
		}
	}
	aead, err := chacha20poly1305.NewX(wk[:])
	if err != nil {
		return nil, fmt.Errorf("derive field key: %w", err)
	}
	aad := make([]byte, 0, len(fieldAADPrefix)+len(caseID)+1+len(class))
	aad = append(aad, fieldAADPrefix...)
	aad = append(aad, caseID...)
	aad = append(aad, 0)
	aad = append(aad, class...)
	return &fieldKey{aead: aead, caseID: caseID, class: class, aad: aad}, nil
}

// deriveWrapKey derives from a case key the key that wraps its fields' age
// file keys.
func deriveWrapKey(b *[caseKeySize]byte) ([chacha20poly1305.KeySize]byte, error) {
	var out [chacha20poly1305.KeySize]byte
	wk, err := hkdf.Key(sha256.New, b[:], nil, fieldKeyInfo, chacha20poly1305.KeySize)
	if err != nil {
		return out, fmt.Errorf("derive field key: %w", err)
	}
	copy(out[:], wk)
	clear(wk)
	return out, nil
}

// Wrap implements age.Recipient: it seals the age file key under the case
// key with a fresh random 24-byte nonce.
func (f *fieldKey) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	body := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(fileKey)+chacha20poly1305.Overhead)
	if _, err := rand.Read(body); err != nil {
		return nil, fmt.Errorf("field stanza nonce: %w", err)
	}
	body = f.aead.Seal(body, body, fileKey, f.aad)
	return []*age.Stanza{{
		Type: fieldStanzaType,
		Args: []string{f.caseID, string(f.class)},
		Body: body,
	}}, nil
}

// Unwrap implements age.Identity. A file without a casebridge stanza is
// "not ours" (age.ErrIncorrectIdentity); a casebridge stanza for another
// binding is ErrWrongBinding; anything else wrong with it is ErrCorrupt.
func (f *fieldKey) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	ours := false
	for _, s := range stanzas {
		if s.Type == fieldStanzaType {
			ours = true
		}
	}
	if !ours {
		return nil, fmt.Errorf("%w: no %s stanza", age.ErrIncorrectIdentity, fieldStanzaType)
	}
	// Sealed fields have exactly one recipient; anything else was not made
	// by Seal.
	if len(stanzas) != 1 {
		return nil, fmt.Errorf("%w: %s stanza is not the only recipient", ErrCorrupt, fieldStanzaType)
	}
	s := stanzas[0]
	if len(s.Args) != 2 {
		return nil, fmt.Errorf("%w: %s stanza has %d arguments, want 2", ErrCorrupt, fieldStanzaType, len(s.Args))
	}
	if s.Args[0] != f.caseID {
		return nil, fmt.Errorf("%w: sealed for another case", ErrWrongBinding)
	}
	if s.Args[1] != string(f.class) {
		return nil, fmt.Errorf("%w: sealed for another data class", ErrWrongBinding)
	}
	if len(s.Body) != fieldStanzaBodySize {
		return nil, fmt.Errorf("%w: %s stanza body is %d bytes, want %d", ErrCorrupt, fieldStanzaType, len(s.Body), fieldStanzaBodySize)
	}
	nonce, sealed := s.Body[:chacha20poly1305.NonceSizeX], s.Body[chacha20poly1305.NonceSizeX:]
	fileKey, err := f.aead.Open(nil, nonce, sealed, f.aad)
	if err != nil {
		return nil, fmt.Errorf("%w: file key failed authentication", ErrCorrupt)
	}
	return fileKey, nil
}
