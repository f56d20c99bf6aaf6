package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
)

func TestLoadKeyringCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "keys")
	kr, err := LoadKeyring(dir)
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	if ids := kr.IDs(); len(ids) != 0 {
		t.Errorf("new keyring IDs = %v, want none", ids)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode = %04o, want 0700", perm)
	}
}

func TestGenerateWritesKeyFile(t *testing.T) {
	kr, infos := newTestKeyring(t, 1)
	info := infos[0]

	sum := sha256.Sum256([]byte(info.Recipient))
	if want := hex.EncodeToString(sum[:])[:16]; info.ID != want {
		t.Errorf("ID = %q, want first 16 hex of SHA-256(recipient) %q", info.ID, want)
	}
	if !strings.HasPrefix(info.Recipient, "age1") {
		t.Errorf("Recipient = %q, want an age1... X25519 recipient", info.Recipient)
	}
	if !kr.Has(info.ID) {
		t.Error("Has(generated id) = false")
	}
	if r, ok := kr.Recipient(info.ID); !ok || r != info.Recipient {
		t.Errorf("Recipient(id) = %q, %v; want %q, true", r, ok, info.Recipient)
	}

	path := filepath.Join(kr.dir, info.ID+".agekey")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("key file is not an AGE-SECRET-KEY line: %v", err)
	}
	if id.Recipient().String() != info.Recipient {
		t.Error("key file holds a different key than reported")
	}
	entries, err := os.ReadDir(kr.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key directory has %d entries, want only the key file (no temporaries)", len(entries))
	}
}

func TestKeyringReloadAfterGenerate(t *testing.T) {
	kr, infos := newTestKeyring(t, 3)
	ck := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(ck, "case-1", infos[1].Recipient)
	if err != nil {
		t.Fatal(err)
	}

	reloaded, err := LoadKeyring(kr.dir)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got, want := reloaded.IDs(), kr.IDs(); !slices.Equal(got, want) {
		t.Errorf("reloaded IDs = %v, want %v", got, want)
	}
	if !slices.IsSorted(reloaded.IDs()) {
		t.Error("IDs not sorted")
	}
	for _, info := range infos {
		if r, ok := reloaded.Recipient(info.ID); !ok || r != info.Recipient {
			t.Errorf("reloaded Recipient(%s) = %q, %v", info.ID, r, ok)
		}
	}
	got, err := reloaded.UnwrapCaseKey(wrapped, "case-1")
	if err != nil {
		t.Fatalf("unwrap with reloaded keyring: %v", err)
	}
	if got.b != ck.b {
		t.Error("reloaded keyring unwrapped a different key")
	}
}

func TestLoadKeyringIgnoresOtherFiles(t *testing.T) {
	kr, infos := newTestKeyring(t, 1)
	for _, name := range []string{"README", ".agekey-123.tmp", ".hidden.agekey", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(kr.dir, name), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(kr.dir, "..data"), 0o700); err != nil {
		t.Fatal(err)
	}
	reloaded, err := LoadKeyring(kr.dir)
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	if got := reloaded.IDs(); !slices.Equal(got, []string{infos[0].ID}) {
		t.Errorf("IDs = %v, want [%s]", got, infos[0].ID)
	}
}

func TestLoadKeyringAcceptsCommentsAndSymlinks(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyID := keyIDFor(id.Recipient().String())
	secretDir := filepath.Join(t.TempDir(), "secret")
	if err := os.MkdirAll(filepath.Join(secretDir, "..data"), 0o700); err != nil {
		t.Fatal(err)
	}
	content := "# created: 2026-01-01T00:00:00Z\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
	target := filepath.Join(secretDir, "..data", keyID+".agekey")
	if err := os.WriteFile(target, []byte(content), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", keyID+".agekey"), filepath.Join(secretDir, keyID+".agekey")); err != nil {
		t.Fatal(err)
	}
	kr, err := LoadKeyring(secretDir)
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	if !kr.Has(keyID) {
		t.Error("symlinked key with comments not loaded")
	}
}

func TestLoadKeyringRejectsBadKeyFiles(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	goodID := keyIDFor(id.Recipient().String())
	secret := id.String()

	tests := []struct {
		name    string
		file    string
		content string
		mode    os.FileMode
	}{
		{"group readable", goodID + ".agekey", secret, 0o640},
		{"world readable", goodID + ".agekey", secret, 0o644},
		{"name does not match key", keyIDFor(other.Recipient().String()) + ".agekey", secret, 0o600},
		{"name is not a key id", "orgkey.agekey", secret, 0o600},
		{"empty", goodID + ".agekey", "", 0o600},
		{"two keys", goodID + ".agekey", secret + "\n" + other.String() + "\n", 0o600},
		{"corrupted key", goodID + ".agekey", secret[:len(secret)-1] + "x", 0o600},
		{"not a key", goodID + ".agekey", "hello", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeyring(dir)
			if err == nil {
				t.Fatal("LoadKeyring succeeded, want error")
			}
			if strings.Contains(err.Error(), "AGE-SECRET-KEY-1") || strings.Contains(strings.ToUpper(err.Error()), secret[16:40]) {
				t.Errorf("error leaks key material: %v", err)
			}
		})
	}
}

func TestDestroy(t *testing.T) {
	kr, infos := newTestKeyring(t, 2)
	if err := kr.Destroy(infos[0].ID); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if kr.Has(infos[0].ID) {
		t.Error("destroyed key still held")
	}
	if _, err := os.Stat(filepath.Join(kr.dir, infos[0].ID+".agekey")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("destroyed key file still present: %v", err)
	}
	if got := kr.IDs(); !slices.Equal(got, []string{infos[1].ID}) {
		t.Errorf("IDs after destroy = %v", got)
	}

	tests := []struct {
		name string
		id   string
		want error
	}{
		{"already destroyed", infos[0].ID, ErrNoKey},
		{"never existed", "0123456789abcdef", ErrNoKey},
		{"path traversal", "../../etc/passwd", ErrInvalidKeyID},
		{"uppercase", strings.ToUpper(infos[1].ID), ErrInvalidKeyID},
		{"empty", "", ErrInvalidKeyID},
	}
	for _, tt := range tests {
		if err := kr.Destroy(tt.id); !errors.Is(err, tt.want) {
			t.Errorf("Destroy(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
	if !kr.Has(infos[1].ID) {
		t.Error("unrelated key lost")
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	kr, infos := newTestKeyring(t, 1)
	ck := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(ck, "case-c", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				info, err := kr.Generate()
				if err != nil {
					t.Error(err)
					return
				}
				if err := kr.Destroy(info.ID); err != nil {
					t.Error(err)
				}
				return
			}
			for range 10 {
				kr.IDs()
				kr.Has(infos[0].ID)
				if _, err := kr.UnwrapCaseKey(wrapped, "case-c"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestGenerateFailureLeavesNothingHeld(t *testing.T) {
	kr, _ := newTestKeyring(t, 0)
	if err := os.RemoveAll(kr.dir); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Generate(); err == nil {
		t.Fatal("Generate into a missing directory succeeded")
	}
	if ids := kr.IDs(); len(ids) != 0 {
		t.Errorf("IDs after failed Generate = %v, want none", ids)
	}
}
