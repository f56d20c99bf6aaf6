package vault

import (
	"errors"
	"os"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestKeyFileNamesItsOrganisation(t *testing.T) {
	kr, _ := newTestKeyring(t, 0)
	info, err := kr.GenerateFor("shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if owner, ok := kr.Owner(info.ID); !ok || owner != "shelter-a" {
		t.Fatalf("Owner = %q, %v", owner, ok)
	}
	data, err := os.ReadFile(keyFilePath(kr.dir, info.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# organization: shelter-a\n") {
		t.Errorf("key file does not start with its organisation line")
	}
	// The stock age tool still reads the file: the line is a comment.
	ids, err := age.ParseIdentities(strings.NewReader(string(data)))
	clear(data)
	if err != nil || len(ids) != 1 {
		t.Fatalf("age.ParseIdentities = %d identities, %v", len(ids), err)
	}
	reloaded, err := LoadKeyring(kr.dir)
	if err != nil {
		t.Fatal(err)
	}
	if owner, _ := reloaded.Owner(info.ID); owner != "shelter-a" {
		t.Errorf("reloaded Owner = %q", owner)
	}
	for _, bad := range []string{"", "Shelter", "a b", "x\n# organization: y", strings.Repeat("a", 65)} {
		if _, err := kr.GenerateFor(bad); err == nil {
			t.Errorf("GenerateFor(%q) accepted", bad)
		}
	}
}

func TestAdoptNamesALegacyKeyOnce(t *testing.T) {
	kr, infos := newTestKeyring(t, 1) // Generate: a file naming no organisation
	id := infos[0].ID
	if _, ok := kr.Owner(id); ok {
		t.Fatal("a legacy key names an organisation")
	}
	if err := kr.Adopt(id, "legal-b"); err != nil {
		t.Fatal(err)
	}
	if err := kr.Adopt(id, "legal-b"); err != nil {
		t.Errorf("adopting again for the same organisation: %v", err)
	}
	if err := kr.Adopt(id, "shelter-a"); !errors.Is(err, ErrOwnerMismatch) {
		t.Errorf("Adopt for another organisation: err = %v, want ErrOwnerMismatch", err)
	}
	reloaded, err := LoadKeyring(kr.dir)
	if err != nil {
		t.Fatal(err)
	}
	if owner, _ := reloaded.Owner(id); owner != "legal-b" {
		t.Errorf("reloaded Owner = %q, want legal-b", owner)
	}
	if r, _ := reloaded.Recipient(id); r != infos[0].Recipient {
		t.Error("adoption changed the key")
	}
	// Another keyring over the same directory that still thinks the file
	// names no one cannot give it to someone else.
	if err := kr.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if err := kr.Adopt(id, "legal-b"); !errors.Is(err, ErrNoKey) {
		t.Errorf("Adopt of a destroyed key: err = %v, want ErrNoKey", err)
	}
}

func TestAttestation(t *testing.T) {
	kr, infos := newTestKeyring(t, 2)
	a, b := infos[0].ID, infos[1].ID
	stmt := []byte("rotation r of org x retires k")
	tag, err := kr.Attest(a, stmt)
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.CheckAttestation(a, stmt, tag); err != nil {
		t.Errorf("CheckAttestation of a good tag: %v", err)
	}
	if err := kr.CheckAttestation(a, []byte("rotation r of org x retires j"), tag); !errors.Is(err, ErrBadAttestation) {
		t.Errorf("altered statement: err = %v, want ErrBadAttestation", err)
	}
	if err := kr.CheckAttestation(b, stmt, tag); !errors.Is(err, ErrBadAttestation) {
		t.Errorf("tag checked under another key: err = %v, want ErrBadAttestation", err)
	}
	if err := kr.CheckAttestation(a, stmt, nil); !errors.Is(err, ErrBadAttestation) {
		t.Errorf("missing tag: err = %v, want ErrBadAttestation", err)
	}
	if err := kr.Destroy(a); err != nil {
		t.Fatal(err)
	}
	if err := kr.CheckAttestation(a, stmt, tag); !errors.Is(err, ErrNoKey) {
		t.Errorf("destroyed key: err = %v, want ErrNoKey", err)
	}
}
