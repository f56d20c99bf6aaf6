package vault_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/vault"
)

// FuzzOpen opens hostile bytes as a sealed value. The seed corpus holds a
// value sealed here and, in testdata/fuzz/FuzzOpen, the C2SP age test
// vectors (c2sp.org/CCTV/age: malformed headers, bad stanzas, truncated
// and tampered payloads). Opening is always an error — ErrCorrupt or
// ErrWrongBinding, which the API reports as DataLoss — unless the bytes are
// the value sealed for this case, row and class, and then it is exactly
// its plaintext: never a panic, never someone else's data.
func FuzzOpen(f *testing.F) {
	key, err := vault.NewCaseKey()
	if err != nil {
		f.Fatal(err)
	}
	const caseID, id = "0b9e7c44-6f55-4d8e-9d3c-1a2b3c4d5e6f", "7d1f0c2e-1111-4a5b-8c9d-0e1f2a3b4c5d"
	plaintext := []byte("Marker-Care-9931: counselling notes")
	sealed, err := vault.CaseNotes.Seal(key, caseID, id, dataclass.Care, plaintext)
	if err != nil {
		f.Fatal(err)
	}
	other, err := vault.CaseNotes.Seal(key, caseID, "9a9a9a9a-2222-4a5b-8c9d-0e1f2a3b4c5d", dataclass.Care, []byte("another note"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(other)
	f.Add(sealed[:len(sealed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := vault.CaseNotes.Open(key, caseID, id, dataclass.Care, ct)
		if err != nil {
			if !errors.Is(err, vault.ErrCorrupt) && !errors.Is(err, vault.ErrWrongBinding) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrWrongBinding", err)
			}
			if pt != nil {
				t.Fatalf("plaintext %q returned with error %v", pt, err)
			}
			return
		}
		if !bytes.Equal(pt, plaintext) {
			t.Fatalf("hostile bytes opened to %q", pt)
		}
	})
}
