package keys

import (
	"path/filepath"
	"slices"
	"testing"
)

// A keyring backup that does not match the database (none at all, or one
// taken before a rotation) is named key by key, and checking destroys
// nothing.
func TestMissingKeysNamesEveryKeyTheKeyringLacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "shelter", "legal")
	if missing, err := e.m.MissingKeys(e.ctx, e.pool); err != nil || len(missing) != 0 {
		t.Fatalf("MissingKeys with the matching keyring = %v, %v", missing, err)
	}
	var ids []string
	if err := e.pool.QueryRow(e.ctx, `SELECT array_agg(key_id ORDER BY key_id) FROM organization_keys WHERE state IN (1, 2)`).Scan(&ids); err != nil {
		t.Fatal(err)
	}

	empty := e.newManager(e.loadKeyring(filepath.Join(t.TempDir(), "none")), nil)
	missing, err := empty.MissingKeys(e.ctx, e.pool)
	if err != nil || !slices.Equal(missing, ids) {
		t.Fatalf("MissingKeys with no keyring = %v, %v; want %v", missing, err, ids)
	}
	for _, id := range ids {
		if !keyFileExists(t, e.keyDir, id) {
			t.Fatalf("key %s was destroyed by the check", id)
		}
	}
}

// TestMissingKeysCountsAnotherOrganisationsKeyAsMissing: with legal-b's key
// relabelled as shelter-a's active key, the keyring holds the key, but as
// legal-b's: for shelter-a it is missing, and the start-up check names it.
// With the rows put back nothing is missing.
func TestMissingKeysCountsAnotherOrganisationsKeyAsMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "shelter-a", "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	e.relabel(keyA, keyB)
	missing, err := e.m.MissingKeys(e.ctx, e.pool)
	if err != nil || !slices.Equal(missing, []string{keyB}) {
		t.Fatalf("MissingKeys with legal-b's key relabelled as shelter-a's = %v, %v; want [%s]", missing, err, keyB)
	}
	e.restoreLabels(keyA, keyB)
	if missing, err := e.m.MissingKeys(e.ctx, e.pool); err != nil || len(missing) != 0 {
		t.Fatalf("MissingKeys with the rows restored = %v, %v", missing, err)
	}
}
