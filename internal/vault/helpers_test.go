package vault

import (
	"path/filepath"
	"testing"
)

// newTestKeyring returns a keyring in a fresh temporary directory holding n
// newly generated keys.
func newTestKeyring(t testing.TB, n int) (*Keyring, []KeyInfo) {
	t.Helper()
	kr, err := LoadKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	infos := make([]KeyInfo, 0, n)
	for range n {
		info, err := kr.Generate()
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		infos = append(infos, info)
	}
	return kr, infos
}

// newTestCaseKey returns a fresh case key and wipes it when the test ends.
func newTestCaseKey(t testing.TB) *CaseKey {
	t.Helper()
	k, err := NewCaseKey()
	if err != nil {
		t.Fatalf("NewCaseKey: %v", err)
	}
	t.Cleanup(k.Wipe)
	return k
}
