package keys

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/vault"
)

func TestCreateAndGetCaseKey(t *testing.T) {
	e := newEnv(t, "shelter-a")
	id, created := e.newKeyedCase("shelter-a")

	// A second Manager with a cold cache unwraps once, then serves from its
	// cache.
	m := e.newManager(e.keyring, vault.NewKeyCache(100, time.Hour))
	before := m.unwraps.Load()
	k1, err := m.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatalf("CaseKey: %v", err)
	}
	defer k1.Wipe()
	if got := m.unwraps.Load() - before; got != 1 {
		t.Errorf("first CaseKey performed %d unwraps, want 1", got)
	}
	if !sameKey(t, created, k1, id) {
		t.Fatal("CaseKey returned a different key than CreateCaseKey")
	}
	k2, err := m.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatalf("CaseKey (cached): %v", err)
	}
	defer k2.Wipe()
	if got := m.unwraps.Load() - before; got != 1 {
		t.Errorf("second CaseKey performed an unwrap (total %d), want it served from the cache", got)
	}
	if !sameKey(t, created, k2, id) {
		t.Fatal("cached key differs")
	}

	// The creating Manager cached the key at creation.
	before = e.m.unwraps.Load()
	k3, err := e.m.CaseKey(e.ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	k3.Wipe()
	if e.m.unwraps.Load() != before {
		t.Error("CaseKey right after CreateCaseKey unwrapped")
	}

	// The wrapped key is bound to its case: moved to another case's row it
	// does not unwrap.
	other := insertCase(t, e.ctx, e.pool, "shelter-a")
	if _, err := e.pool.Exec(e.ctx, `
		INSERT INTO case_keys (case_id, key_id, wrapped)
		SELECT $2, key_id, wrapped FROM case_keys WHERE case_id = $1`, id, other); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CaseKey(e.ctx, e.pool, other); !errors.Is(err, vault.ErrWrongBinding) {
		t.Errorf("CaseKey of a case holding another case's wrapped key: err = %v, want ErrWrongBinding", err)
	}
}

func TestCaseKeyErrors(t *testing.T) {
	e := newEnv(t, "shelter-a")
	unkeyed := insertCase(t, e.ctx, e.pool, "shelter-a")

	if _, err := e.m.CaseKey(e.ctx, e.pool, unkeyed); !errors.Is(err, ErrNoCaseKey) {
		t.Errorf("CaseKey of an unkeyed case: err = %v, want ErrNoCaseKey", err)
	}
	for _, bad := range []string{"", "not-a-uuid", strings.ToUpper(unkeyed), "{" + unkeyed + "}"} {
		if _, err := e.m.CaseKey(e.ctx, e.pool, bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("CaseKey(%q): err = %v, want ErrInvalidID", bad, err)
		}
	}
	if _, err := e.m.CreateCaseKey(e.ctx, e.pool, unkeyed); !errors.Is(err, ErrInvalidID) {
		t.Errorf("CreateCaseKey without organisations: err = %v, want ErrInvalidID", err)
	}
	if _, err := e.m.CreateCaseKey(e.ctx, e.pool, newUUID(), "shelter-a"); !errors.Is(err, ErrCaseNotFound) {
		t.Errorf("CreateCaseKey of a missing case: err = %v, want ErrCaseNotFound", err)
	}
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO organizations (id, display_name, kind) VALUES ('keyless', 'K', 1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.CreateCaseKey(e.ctx, e.pool, unkeyed, "keyless"); !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("CreateCaseKey for an organisation without key: err = %v, want ErrNoActiveKey", err)
	}

	id, _ := e.newKeyedCase("shelter-a")
	if _, err := e.m.CreateCaseKey(e.ctx, e.pool, id, "shelter-a"); !errors.Is(err, ErrCaseKeyExists) {
		t.Errorf("second CreateCaseKey: err = %v, want ErrCaseKeyExists", err)
	}

	// Error messages name the case, never key material.
	_, err := e.m.CaseKey(e.ctx, e.pool, unkeyed)
	if !strings.Contains(err.Error(), unkeyed) {
		t.Errorf("error %q does not name the case", err)
	}
}

func TestCreateCaseKeyRollsBackWithCaller(t *testing.T) {
	e := newEnv(t, "shelter-a")
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	id := insertCase(t, e.ctx, tx, "shelter-a")
	if _, err := e.m.CreateCaseKey(e.ctx, tx, id, "shelter-a"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(e.ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM case_keys").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d case_keys rows survived the caller's rollback", n)
	}
}

func TestEnsureOrgKey(t *testing.T) {
	e := newEnv(t, "shelter-a")
	first := e.activeKeyID("shelter-a")

	// Concurrent calls agree on one key and generate no other.
	var wg sync.WaitGroup
	infos := make([]vault.KeyInfo, 8)
	for i := range infos {
		wg.Go(func() {
			info, err := e.m.EnsureOrgKey(e.ctx, e.pool, "shelter-a")
			if err != nil {
				t.Errorf("EnsureOrgKey: %v", err)
			}
			infos[i] = info
		})
	}
	wg.Wait()
	for _, info := range infos {
		if info.ID != first {
			t.Errorf("EnsureOrgKey returned %s, want the existing %s", info.ID, first)
		}
	}
	if ids := e.keyring.IDs(); len(ids) != 1 {
		t.Errorf("keyring holds %d keys, want 1", len(ids))
	}

	keys, err := e.m.ListOrgKeys(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != first || keys[0].State != KeyActive || !keys[0].Held ||
		!strings.HasPrefix(keys[0].Recipient, "age1") {
		t.Errorf("ListOrgKeys = %+v", keys)
	}

	// A database that names a recipient the keyring does not hold is
	// refused rather than wrapped to.
	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET recipient = 'age1attacker' WHERE key_id = $1", first); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.EnsureOrgKey(e.ctx, e.pool, "shelter-a"); !errors.Is(err, ErrKeyNotHeld) {
		t.Errorf("EnsureOrgKey with a tampered recipient: err = %v, want ErrKeyNotHeld", err)
	}
	c := insertCase(t, e.ctx, e.pool, "shelter-a")
	if _, err := e.m.CreateCaseKey(e.ctx, e.pool, c, "shelter-a"); !errors.Is(err, ErrKeyNotHeld) {
		t.Errorf("CreateCaseKey with a tampered recipient: err = %v, want ErrKeyNotHeld", err)
	}
}
