package keys

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/vault"
)

// relabel makes legal-b's key shelter-a's active key, as the server's
// database role can: shelter-a's own key is set retiring first, so the
// one-active-key index holds.
func (e *env) relabel(keyA, keyB string) {
	e.t.Helper()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET state = 2 WHERE key_id = $1", keyA)
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'shelter-a', state = 1 WHERE key_id = $1", keyB)
	})
}

// restoreLabels puts both rows back as they were.
func (e *env) restoreLabels(keyA, keyB string) {
	e.t.Helper()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'legal-b', state = 1 WHERE key_id = $1", keyB)
		e.mustExec(c, "UPDATE organization_keys SET state = 1 WHERE key_id = $1", keyA)
	})
}

// TestRelabelledActiveKeyIsNotUsed: with legal-b's key relabelled as
// shelter-a's active key, a new case of shelter-a is refused (the keyring
// says the key is legal-b's) rather than sealed under legal-b's key, and
// EnsureOrgKey reports the relabelling instead of returning the key.
func TestRelabelledActiveKeyIsNotUsed(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	e.relabel(keyA, keyB)
	if owner, ok := e.keyring.Owner(keyB); !ok || owner != "legal-b" {
		t.Fatalf("test premise: keyring owner of legal-b's key: %q %v", owner, ok)
	}

	_, err := createProbeCase(e.ctx, e.m, e.pool, "shelter-a")
	if !errors.Is(err, ErrForeignKey) {
		t.Errorf("new case of shelter-a: err = %v, want ErrForeignKey", err)
	}
	if n := e.countKeys("key_id = $1", keyB); n != 0 {
		t.Errorf("%d case keys were wrapped to legal-b's key on shelter-a's behalf", n)
	}
	if _, err := e.m.EnsureOrgKey(e.ctx, e.pool, "shelter-a"); !errors.Is(err, ErrForeignKey) {
		t.Errorf("EnsureOrgKey(shelter-a): err = %v, want ErrForeignKey", err)
	}

	// Once the rows are put back, shelter-a works again.
	e.restoreLabels(keyA, keyB)
	c, err := createProbeCase(e.ctx, e.m, e.pool, "shelter-a")
	if err != nil {
		t.Fatalf("new case after the rows were restored: %v", err)
	}
	if n := e.countKeys("case_id = $1 AND key_id = $2", c.id, keyA); n != 1 {
		t.Errorf("case of shelter-a has %d keys wrapped to shelter-a's key, want 1", n)
	}
}

// TestRelabelCannotDefeatErasure: a case of shelter-a shared with legal-b
// is wrapped to both organisations' keys; a backup is taken. Legal-b's key
// is relabelled as shelter-a's, so the database says only shelter-a ever
// wrapped the case key. The erasure must not rotate shelter-a alone (whose
// rotation may not touch legal-b's key) and call itself done: it goes by
// the keyring's owner, finds that legal-b cannot be rotated while its key
// is mislabelled, and is refused with nothing shredded. With the rows put
// back the erasure goes through, and no backed-up wrapped key opens any
// more.
func TestRelabelCannotDefeatErasure(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	caseID, key := e.newKeyedCase("shelter-a", "legal-b")
	key.Wipe()
	backup := e.wrappedRows(caseID)
	if _, ok := backup[keyB]; !ok || len(backup) != 2 {
		t.Fatalf("test premise: case wrapped to %d keys, want shelter-a's and legal-b's", len(backup))
	}
	e.relabel(keyA, keyB)

	erase := func() ([]Rotation, error) {
		tx, err := e.pool.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(e.ctx)
		rots, err := e.m.ShredAndRotate(e.ctx, tx, caseID)
		if err != nil {
			return nil, err
		}
		return rots, tx.Commit(e.ctx)
	}
	rots, err := erase()
	if err == nil {
		// Whatever was rotated, the erasure must reach the backup.
		for _, r := range rots {
			e.waitRotation(e.m, r.OrganizationID, r.ID)
		}
		e.m.Wait()
		e.asServerRole(func(c *pgxpool.Conn) { // cover the tracks
			e.mustExec(c, "UPDATE organization_keys SET organization_id = 'legal-b', state = 1 WHERE key_id = $1", keyB)
		})
		assertShredded(t, caseID, backup, map[string]*vault.Keyring{"server": e.keyring, "reloaded": e.loadKeyring(e.keyDir)})
		t.Fatalf("erasure went through with legal-b's key relabelled (rotations %+v)", rots)
	}
	if !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("erasure with legal-b's key relabelled: err = %v, want it refused for legal-b's missing active key", err)
	}
	if got := e.wrappedRows(caseID); len(got) != 2 {
		t.Fatalf("the refused erasure left %d wrapped keys, want 2 (nothing shredded)", len(got))
	}

	e.restoreLabels(keyA, keyB)
	rots, err = erase()
	if err != nil {
		t.Fatalf("erasure with the rows restored: %v", err)
	}
	orgs := map[string]bool{}
	for _, r := range rots {
		orgs[r.OrganizationID] = true
		if final := e.waitRotation(e.m, r.OrganizationID, r.ID); final.State != RotationDone {
			t.Errorf("rotation of %s after erasure ended as %+v", r.OrganizationID, final)
		}
	}
	e.m.Wait()
	if !orgs["shelter-a"] || !orgs["legal-b"] || len(orgs) != 2 {
		t.Errorf("erasure rotated %v, want shelter-a and legal-b", orgs)
	}
	assertShredded(t, caseID, backup, map[string]*vault.Keyring{"server": e.keyring, "reloaded": e.loadKeyring(e.keyDir)})
}

// TestShredRotatesTheKeyringOwner: the database labels legal-b's key as a
// retiring key of shelter-a; ShredCaseKeys of a case wrapped to it names
// legal-b (the key file's organisation) as well as shelter-a (the row's),
// so the erasure rotates the organisation that can still open backups.
func TestShredRotatesTheKeyringOwner(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	keyB := e.activeKeyID("legal-b")
	caseID, key := e.newKeyedCase("legal-b")
	key.Wipe()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'shelter-a', state = 2 WHERE key_id = $1", keyB)
	})
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	orgs, err := e.m.ShredCaseKeys(e.ctx, tx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(orgs, ",") != "legal-b,shelter-a" {
		t.Errorf("ShredCaseKeys named %v, want [legal-b shelter-a]", orgs)
	}
}

// TestRotationOverRelabelledKeyFails: with legal-b's key relabelled as
// shelter-a's active key, shelter-a's admin rotates. The rotation lists
// legal-b's key as retiring, so it cannot complete: it ends Failed with a
// reason, having moved and destroyed nothing (shelter-a's own key too
// survives). Legal-b's key and cases are untouched, and once the rows are
// put back a new rotation of shelter-a finishes the job.
func TestRotationOverRelabelledKeyFails(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	shelterCases := e.createProbeCases(3, "shelter-a")
	legalCases := e.createProbeCases(3, "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	e.relabel(keyA, keyB)

	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	final := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if final.State != RotationFailed || !strings.Contains(final.Error, "another organisation") {
		t.Fatalf("rotation over a relabelled key ended as %+v, want failed naming another organisation", final)
	}
	if final.Done != 0 {
		t.Errorf("the failed rotation moved %d case keys", final.Done)
	}
	if !keyFileExists(t, e.keyDir, keyB) || !e.keyring.Has(keyB) {
		t.Fatal("a rotation of shelter-a destroyed legal-b's key")
	}
	if !keyFileExists(t, e.keyDir, keyA) {
		t.Error("the failed rotation destroyed shelter-a's old key")
	}
	if n := e.countKeys("key_id = $1", keyB); n != len(legalCases) {
		t.Errorf("%d case keys left on legal-b's key, want %d", n, len(legalCases))
	}
	if ev := e.destroyEvents("legal-b"); len(ev) != 0 {
		t.Errorf("legal-b: destruction events %v", ev)
	}

	// The rows put back (legal-b's key active for legal-b again), shelter-a
	// rotates: the new rotation takes over what the failed one left.
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'legal-b', state = 1 WHERE key_id = $1", keyB)
	})
	rot, err = e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if final := e.waitRotation(e.m, "shelter-a", rot.ID); final.State != RotationDone {
		t.Fatalf("rotation after the rows were restored ended as %+v", final)
	}
	e.m.Wait()
	if keyFileExists(t, e.keyDir, keyA) {
		t.Error("shelter-a's old keys survived the rotation that finished")
	}
	fresh := e.newManager(e.loadKeyring(e.keyDir), nil)
	for _, c := range append(shelterCases, legalCases...) {
		if err := checkProbe(e.ctx, fresh, c); err != nil {
			t.Errorf("case %s: %v", c.id, err)
		}
	}
}

// TestRotationWhoseKeyIsRelabelledMidwayFails: while shelter-a's rotation
// runs, the server's role relabels shelter-a's retiring key as legal-b's.
// The rotation may not destroy a key the database does not list as its
// organisation's retiring key, and must not report done with it left
// behind (still opening old backups): it ends Failed.
func TestRotationWhoseKeyIsRelabelledMidwayFails(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	e.createProbeCases(3, "shelter-a")
	keyA := e.activeKeyID("shelter-a")
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.m.afterBatch = func() { once.Do(func() { close(paused); <-release }) }
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	<-paused
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'legal-b' WHERE key_id = $1", keyA)
	})
	close(release)
	final := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if final.State != RotationFailed || final.Error == "" {
		t.Fatalf("rotation whose retiring key was relabelled ended as %+v, want failed with a reason", final)
	}
	if !keyFileExists(t, e.keyDir, keyA) {
		t.Error("the key was destroyed although the database no longer lists it as shelter-a's")
	}
}
