package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// sealHeaderOverhead approximates the fixed bytes Seal adds besides the case
// id and class, to size the output buffer in one allocation.
const sealHeaderOverhead = 256

// ageChunkSize and ageChunkOverhead describe age's STREAM payload: each
// 64 KiB chunk carries a 16-byte tag.
const (
	ageChunkSize     = 64 << 10
	ageChunkOverhead = 16
)

// seal encrypts one sensitive value of a case as a binary age file that only
// key can open, bound to caseID and class. The value is unreadable from a
// database dump or backup, and cannot be opened as another case's or another
// class's value.
//
// caseID must be 1 to 128 printable ASCII characters without spaces (a UUID
// fits); it is stored in the clear in the ciphertext header. Sealing the same
// value twice yields different ciphertexts.
func seal(key *CaseKey, caseID string, class dataclass.Class, plaintext []byte) ([]byte, error) {
	if err := checkBinding(caseID, class); err != nil {
		return nil, fmt.Errorf("vault: seal: %w", err)
	}
	fk, err := newFieldKey(key, caseID, class)
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s field: %w", class, err)
	}

	var buf bytes.Buffer
	chunks := len(plaintext)/ageChunkSize + 1
	buf.Grow(sealHeaderOverhead + len(caseID) + len(class) + len(plaintext) + chunks*ageChunkOverhead)
	w, err := age.Encrypt(&buf, fk)
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s field: %w", class, err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("vault: seal %s field: %w", class, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("vault: seal %s field: %w", class, err)
	}
	return buf.Bytes(), nil
}

// open decrypts a value produced by seal for the same key, caseID and
// class. It returns an error wrapping [ErrWrongBinding] if the ciphertext
// belongs to another case or class, and [ErrCorrupt] if it was tampered
// with, truncated, or sealed under a different case key. No plaintext is
// returned unless the whole value authenticates.
func open(key *CaseKey, caseID string, class dataclass.Class, ciphertext []byte) ([]byte, error) {
	if err := checkBinding(caseID, class); err != nil {
		return nil, fmt.Errorf("vault: open: %w", err)
	}
	fk, err := newFieldKey(key, caseID, class)
	if err != nil {
		return nil, fmt.Errorf("vault: open %s field: %w", class, err)
	}
	// Values in the shape seal writes open without age's per-file
	// buffers; anything else (damaged, foreign, or of another shape) is
	// age's to open or refuse.
	if pt, ok := openFast(fk, ciphertext); ok {
		return pt, nil
	}
	// DecryptReaderAt authenticates the small final chunk up front, where
	// the streaming reader allocates two 64 KiB buffers for every field.
	ra, size, err := age.DecryptReaderAt(bytes.NewReader(ciphertext), int64(len(ciphertext)), fk)
	if err != nil {
		return nil, openError(class, err)
	}
	out := make([]byte, size)
	if n, err := ra.ReadAt(out, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		clear(out)
		return nil, openError(class, err)
	}
	return out, nil
}

// openError classifies a decryption failure: binding errors and our own
// corruption errors pass through; everything age reports (bad header, bad
// MAC, bad payload chunk, truncation) is corruption.
func openError(class dataclass.Class, err error) error {
	if errors.Is(err, ErrWrongBinding) || errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("vault: open %s field: %w", class, err)
	}
	return fmt.Errorf("vault: open %s field: %w: %w", class, ErrCorrupt, err)
}
