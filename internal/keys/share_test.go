package keys

import (
	"errors"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

func TestGrantAndRevoke(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	keyB := e.activeKeyID("legal-b")
	id, created := e.newKeyedCase("shelter-a")

	// Another server holding only legal-b's key.
	onlyB := e.newManager(e.loadKeyring(copyKeyFiles(t, e.keyDir, keyB)), nil)
	if _, err := onlyB.CaseKey(e.ctx, e.pool, id); !errors.Is(err, ErrNoCaseKey) {
		t.Fatalf("legal-b before the grant: err = %v, want ErrNoCaseKey", err)
	}

	if err := e.m.GrantCaseKey(e.ctx, e.pool, id, "legal-b"); err != nil {
		t.Fatalf("GrantCaseKey: %v", err)
	}
	if err := e.m.GrantCaseKey(e.ctx, e.pool, id, "legal-b"); err != nil {
		t.Fatalf("second GrantCaseKey: %v", err)
	}
	gotB, err := onlyB.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatalf("legal-b after the grant: %v", err)
	}
	defer gotB.Wipe()
	if !sameKey(t, created, gotB, id) {
		t.Fatal("legal-b unwrapped a different key")
	}
	if rows := e.wrappedRows(id); len(rows) != 2 {
		t.Errorf("case has %d wrapped keys, want 2", len(rows))
	}

	if err := e.m.RevokeCaseKey(e.ctx, e.pool, id, "legal-b"); err != nil {
		t.Fatalf("RevokeCaseKey: %v", err)
	}
	if _, err := onlyB.CaseKey(e.ctx, e.pool, id); !errors.Is(err, ErrNoCaseKey) {
		t.Errorf("legal-b after the revocation: err = %v, want ErrNoCaseKey", err)
	}
	// The owner still reads it (uncached, from its row).
	owner := e.newManager(e.keyring, nil)
	gotA, err := owner.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatalf("owner after the revocation: %v", err)
	}
	gotA.Wipe()

	// Revoking an organisation that has no access is a no-op; revoking the
	// last one is refused.
	if err := e.m.RevokeCaseKey(e.ctx, e.pool, id, "legal-b"); err != nil {
		t.Errorf("repeated RevokeCaseKey: %v", err)
	}
	if err := e.m.RevokeCaseKey(e.ctx, e.pool, id, "shelter-a"); !errors.Is(err, ErrLastCaseKey) {
		t.Errorf("revoking the last key: err = %v, want ErrLastCaseKey", err)
	}
	if rows := e.wrappedRows(id); len(rows) != 1 {
		t.Errorf("case has %d wrapped keys after the refused revocation, want 1", len(rows))
	}
}

func TestReplaceCaseKey(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	id, oldKey := e.newKeyedCase("shelter-a", "legal-b")
	secret := []byte("Maria, Str. Lipscani 5")
	ct, err := vault.CaseSecrets.Seal(oldKey, id, "", dataclass.Contact, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO case_secrets (case_id, class, ciphertext) VALUES ($1, 2, $2)", id, ct); err != nil {
		t.Fatal(err)
	}
	// A second replica has the old key cached.
	replica := e.newManager(e.keyring, vault.NewKeyCache(100, time.Hour))
	k, err := replica.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	k.Wipe()

	// A rolled-back re-key changes nothing, and leaves no new key cached.
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	err = e.m.ReplaceCaseKey(e.ctx, tx, id, func(tx db.Querier, old, new *vault.CaseKey) error {
		return reseal(e, tx, id, old, new)
	}, "shelter-a")
	if err != nil {
		t.Fatalf("ReplaceCaseKey: %v", err)
	}
	inTx, err := e.m.CaseKey(e.ctx, tx, id)
	if err != nil {
		t.Fatal(err)
	}
	if sameKey(t, oldKey, inTx, id) {
		t.Error("inside the re-keying transaction CaseKey returned the old key")
	}
	inTx.Wipe()
	tx.Rollback(e.ctx)
	afterRollback, err := e.m.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(t, oldKey, afterRollback, id) {
		t.Fatal("after a rolled-back re-key CaseKey does not return the old key")
	}
	afterRollback.Wipe()

	// A committed re-key: legal-b loses it, the ciphertext is re-sealed.
	if err := e.m.RevokeCaseKey(e.ctx, e.pool, id, "legal-b"); err != nil {
		t.Fatal(err)
	}
	tx, err = e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	err = e.m.ReplaceCaseKey(e.ctx, tx, id, func(tx db.Querier, old, new *vault.CaseKey) error {
		return reseal(e, tx, id, old, new)
	}, "shelter-a")
	if err != nil {
		t.Fatalf("ReplaceCaseKey: %v", err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Manager{e.m, replica} {
		newKey := eventuallyNewKey(t, e, m, id, oldKey)
		var stored []byte
		if err := e.pool.QueryRow(e.ctx, "SELECT ciphertext FROM case_secrets WHERE case_id = $1", id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		pt, err := vault.CaseSecrets.Open(newKey, id, "", dataclass.Contact, stored)
		if err != nil || string(pt) != string(secret) {
			t.Errorf("re-sealed secret does not open with the new key: %v", err)
		}
		newKey.Wipe()
	}
	if _, err := vault.CaseSecrets.Open(oldKey, id, "", dataclass.Contact, mustSecret(e, id)); err == nil {
		t.Error("the old key still opens the re-sealed secret")
	}
	if rows := e.wrappedRows(id); len(rows) != 1 {
		t.Errorf("case has %d wrapped keys after the re-key, want 1", len(rows))
	}

	// A failing callback changes nothing, not even its own writes.
	boom := errors.New("boom")
	tx, err = e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	err = e.m.ReplaceCaseKey(e.ctx, tx, id, func(tx db.Querier, old, new *vault.CaseKey) error {
		if _, err := tx.Exec(e.ctx, "DELETE FROM case_secrets WHERE case_id = $1", id); err != nil {
			return err
		}
		return boom
	}, "shelter-a")
	if !errors.Is(err, boom) {
		t.Errorf("ReplaceCaseKey with a failing callback: err = %v", err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		t.Fatalf("the caller's transaction is unusable after a failed re-key: %v", err)
	}
	if rows := e.wrappedRows(id); len(rows) != 1 || len(mustSecret(e, id)) == 0 {
		t.Error("a failed re-key changed the case's keys or ciphertexts")
	}
	current, err := e.newManager(e.keyring, nil).CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	defer current.Wipe()
	if _, err := vault.CaseSecrets.Open(current, id, "", dataclass.Contact, mustSecret(e, id)); err != nil {
		t.Errorf("after a failed re-key the secret no longer opens: %v", err)
	}

	// Without a caller transaction the re-key runs in one of its own, which
	// the callback is given: still atomic. It can also widen access.
	err = e.m.ReplaceCaseKey(e.ctx, e.pool, id, func(tx db.Querier, old, new *vault.CaseKey) error {
		return reseal(e, tx, id, old, new)
	}, "shelter-a", "legal-b")
	if err != nil {
		t.Fatalf("ReplaceCaseKey on the pool: %v", err)
	}
	if rows := e.wrappedRows(id); len(rows) != 2 {
		t.Errorf("case has %d wrapped keys after re-keying to two organisations, want 2", len(rows))
	}
	latest := eventuallyNewKey(t, e, e.m, id, current)
	defer latest.Wipe()
	if _, err := vault.CaseSecrets.Open(latest, id, "", dataclass.Contact, mustSecret(e, id)); err != nil {
		t.Errorf("secret does not open with the key of the second re-key: %v", err)
	}
}

// eventuallyNewKey waits until m serves a key other than old (a replica
// learns of the commit by notification).
func eventuallyNewKey(t *testing.T, e *env, m *Manager, id string, old *vault.CaseKey) *vault.CaseKey {
	t.Helper()
	for range 500 {
		k, err := m.CaseKey(e.ctx, e.pool, id)
		if err != nil {
			t.Fatal(err)
		}
		if !sameKey(t, old, k, id) {
			return k
		}
		k.Wipe()
		sleep(e.ctx, 10*time.Millisecond)
	}
	t.Fatal("a Manager kept serving the replaced key")
	return nil
}

func reseal(e *env, q db.Querier, id string, old, new *vault.CaseKey) error {
	var ct []byte
	if err := q.QueryRow(e.ctx, "SELECT ciphertext FROM case_secrets WHERE case_id = $1 AND class = 2", id).Scan(&ct); err != nil {
		return err
	}
	pt, err := vault.CaseSecrets.Open(old, id, "", dataclass.Contact, ct)
	if err != nil {
		return err
	}
	defer clear(pt)
	if ct, err = vault.CaseSecrets.Seal(new, id, "", dataclass.Contact, pt); err != nil {
		return err
	}
	_, err = q.Exec(e.ctx, "UPDATE case_secrets SET ciphertext = $2 WHERE case_id = $1 AND class = 2", id, ct)
	return err
}

func mustSecret(e *env, id string) []byte {
	var ct []byte
	if err := e.pool.QueryRow(e.ctx, "SELECT ciphertext FROM case_secrets WHERE case_id = $1", id).Scan(&ct); err != nil {
		e.t.Fatal(err)
	}
	return ct
}
