package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/vault"
)

// The tests in this file play an attacker who holds the server's own
// database role (casebridge_app): they may write every table the server
// writes and send any notification, but they cannot touch the keyring
// directory. Whatever they write, no key file may be destroyed.

// asServerRole runs fn on a connection that has taken the server's role,
// so that every statement is checked against its privileges, not the test
// superuser's.
func (e *env) asServerRole(fn func(c *pgxpool.Conn)) {
	e.t.Helper()
	c, err := e.pool.Acquire(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() {
		_, _ = c.Exec(context.Background(), "RESET ROLE")
		c.Release()
	}()
	if _, err := c.Exec(e.ctx, "SET ROLE casebridge_app"); err != nil {
		e.t.Fatal(err)
	}
	fn(c)
}

// mustExec runs sql on c or fails the test.
func (e *env) mustExec(c *pgxpool.Conn, sql string, args ...any) {
	e.t.Helper()
	if _, err := c.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// replica is a second server over the same database and the same (shared)
// key directory, with a keyring of its own, as two pods mounting one
// volume.
func (e *env) replica() (*Manager, *vault.Keyring) {
	e.t.Helper()
	kr := e.loadKeyring(e.keyDir)
	m := e.newManager(kr, nil)
	if _, err := m.ResumeRotations(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return m, kr
}

// awaitNotices waits until every manager has dispatched at least n
// rotation notifications and their workers have stopped.
func (e *env) awaitNotices(n int64, ms ...*Manager) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range ms {
		for m.rotationNotices.Load() < n {
			if time.Now().After(deadline) {
				e.t.Fatalf("notification not dispatched: %d of %d", m.rotationNotices.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, m := range ms {
		m.Wait()
	}
}

// caseKeyRows is what a backup holds of case_keys.
type caseKeyRow struct {
	caseID, keyID string
	wrapped       []byte
}

func (e *env) caseKeyRows() []caseKeyRow {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, "SELECT case_id::text, key_id, wrapped FROM case_keys ORDER BY 1, 2")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []caseKeyRow
	for rows.Next() {
		var r caseKeyRow
		if err := rows.Scan(&r.caseID, &r.keyID, &r.wrapped); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// restoreCaseKeys puts case_keys back as the backup held them, as an
// operator recovering from the attack would.
func (e *env) restoreCaseKeys(backup []caseKeyRow) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, "DELETE FROM case_keys"); err != nil {
		e.t.Fatal(err)
	}
	for _, r := range backup {
		if _, err := e.pool.Exec(e.ctx, "INSERT INTO case_keys (case_id, key_id, wrapped) VALUES ($1, $2, $3)",
			r.caseID, r.keyID, r.wrapped); err != nil {
			e.t.Fatal(err)
		}
	}
}

// fakeKeyID is a key id no keyring holds.
func fakeKeyID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// assertKeysIntact checks that every key file is still on disk, held by
// each keyring, and that every case opens through a freshly started
// server with no cache.
func (e *env) assertKeysIntact(keyIDs []string, cases []probeCase, keyrings ...*vault.Keyring) {
	e.t.Helper()
	for _, id := range keyIDs {
		if !keyFileExists(e.t, e.keyDir, id) {
			e.t.Errorf("key file %s was destroyed on the database's word", id)
		}
		for i, kr := range keyrings {
			if !kr.Has(id) {
				e.t.Errorf("keyring %d no longer holds key %s", i, id)
			}
		}
	}
	fresh := e.newManager(e.loadKeyring(e.keyDir), nil)
	for _, c := range cases {
		if err := checkProbe(e.ctx, fresh, c); err != nil {
			e.t.Errorf("case %s no longer opens: %v", c.id, err)
		}
	}
	for _, org := range []string{"shelter-a", "legal-b"} {
		if ev := e.destroyEvents(org); len(ev) != 0 {
			e.t.Errorf("organisation %s: destruction events %v", org, ev)
		}
	}
}

// TestForgedFinishedRotationDestroysNothing: the server's role records a
// finished rotation that retired shelter-a's active key, moves every case
// key off that key (so none names it), and notifies. Neither replica
// destroys the key; once the rows are put back, every case opens.
func TestForgedFinishedRotationDestroysNothing(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	if _, err := e.m.ResumeRotations(e.ctx); err != nil {
		t.Fatal(err)
	}
	replica, replicaKeys := e.replica()
	cases := append(e.createProbeCases(5, "shelter-a"), e.createProbeCases(3, "legal-b")...)
	keyA := e.activeKeyID("shelter-a")
	keyIDs := e.keyring.IDs()
	backup := e.caseKeyRows()

	rot, fake := newUUID(), fakeKeyID()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, `INSERT INTO organization_keys (key_id, organization_id, recipient, state)
			VALUES ($1, 'shelter-a', 'age1forged', 3)`, fake)
		e.mustExec(c, "UPDATE case_keys SET key_id = $1 WHERE key_id = $2", fake, keyA)
		e.mustExec(c, "UPDATE organization_keys SET state = 3, retire_time = now() WHERE key_id = $1", keyA)
		e.mustExec(c, `INSERT INTO key_rotations (id, organization_id, old_key_id, new_key_id, state, retiring_key_ids, finish_time)
			VALUES ($1, 'shelter-a', $2, $2, 2, ARRAY[$2], now())`, rot, keyA)
		e.mustExec(c, "SELECT pg_notify('casebridge_key_rotations', $1)", rot)
	})
	e.awaitNotices(1, e.m, replica)

	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET state = 1, retire_time = NULL WHERE key_id = $1", keyA); err != nil {
		t.Fatal(err)
	}
	e.restoreCaseKeys(backup)
	e.assertKeysIntact(keyIDs, cases, e.keyring, replicaKeys)
}

// TestForgedRunningRotationDestroysNothing: the server's role records a
// running rotation of shelter-a that lists its active key as retiring and
// targets a key the keyring holds (legal-b's), with every case key moved
// off the active key, and notifies. No replica destroys a key.
func TestForgedRunningRotationDestroysNothing(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	if _, err := e.m.ResumeRotations(e.ctx); err != nil {
		t.Fatal(err)
	}
	replica, replicaKeys := e.replica()
	cases := append(e.createProbeCases(5, "shelter-a"), e.createProbeCases(3, "legal-b")...)
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	keyIDs := e.keyring.IDs()
	backup := e.caseKeyRows()

	rot, fake := newUUID(), fakeKeyID()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, `INSERT INTO organization_keys (key_id, organization_id, recipient, state)
			VALUES ($1, 'shelter-a', 'age1forged', 3)`, fake)
		e.mustExec(c, "UPDATE case_keys SET key_id = $1 WHERE key_id = $2", fake, keyA)
		e.mustExec(c, "UPDATE organization_keys SET state = 2 WHERE key_id = $1", keyA)
		e.mustExec(c, `INSERT INTO key_rotations (id, organization_id, old_key_id, new_key_id, state, retiring_key_ids)
			VALUES ($1, 'shelter-a', $2, $3, 1, ARRAY[$2])`, rot, keyA, keyB)
		e.mustExec(c, "SELECT pg_notify('casebridge_key_rotations', $1)", rot)
	})
	e.awaitNotices(1, e.m, replica)

	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET state = 1 WHERE key_id = $1", keyA); err != nil {
		t.Fatal(err)
	}
	e.restoreCaseKeys(backup)
	e.assertKeysIntact(keyIDs, cases, e.keyring, replicaKeys)
}

// TestRotationCannotRetireAnotherOrganisationsKey: the server's role
// relabels legal-b's key as a retiring key of shelter-a; then shelter-a's
// admin rotates, for real. The rotation lists legal-b's key, so it fails
// with nothing moved or destroyed (it must not report done while legal-b's
// key still opens what it counted); once the row is put back, a new
// rotation retires and destroys shelter-a's old key only.
func TestRotationCannotRetireAnotherOrganisationsKey(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	shelterCases := e.createProbeCases(4, "shelter-a")
	legalCases := e.createProbeCases(4, "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE organization_keys SET organization_id = 'shelter-a', state = 2 WHERE key_id = $1", keyB)
	})

	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	final := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if final.State != RotationFailed || final.Done != 0 {
		t.Fatalf("rotation listing another organisation's key ended as %+v, want failed with nothing moved", final)
	}
	if !keyFileExists(t, e.keyDir, keyA) {
		t.Error("the failed rotation destroyed shelter-a's old key")
	}
	if !keyFileExists(t, e.keyDir, keyB) || !e.keyring.Has(keyB) {
		t.Fatal("a rotation of shelter-a destroyed legal-b's key")
	}
	if n := e.countKeys("key_id = $1", keyB); n != len(legalCases) {
		t.Errorf("%d case keys left on legal-b's key, want %d (none moved to shelter-a's)", n, len(legalCases))
	}
	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET organization_id = 'legal-b', state = 1 WHERE key_id = $1", keyB); err != nil {
		t.Fatal(err)
	}
	rot, err = e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if final := e.waitRotation(e.m, "shelter-a", rot.ID); final.State != RotationDone {
		t.Fatalf("rotation with the row restored ended as %+v", final)
	}
	e.m.Wait()
	if keyFileExists(t, e.keyDir, keyA) {
		t.Error("shelter-a's old key survived its rotation")
	}
	if !keyFileExists(t, e.keyDir, keyB) || !e.keyring.Has(keyB) {
		t.Fatal("a rotation of shelter-a destroyed legal-b's key")
	}
	fresh := e.newManager(e.loadKeyring(e.keyDir), nil)
	for _, c := range append(shelterCases, legalCases...) {
		if err := checkProbe(e.ctx, fresh, c); err != nil {
			t.Errorf("case %s: %v", c.id, err)
		}
	}
	if ev := e.destroyEvents("legal-b"); len(ev) != 0 {
		t.Errorf("legal-b: destruction events %v", ev)
	}
}

// TestAlteredRotationIsFailedNotFollowed: while a real rotation of
// shelter-a runs, the server's role adds legal-b's key to the keys it
// retires and, in a second attempt, copies the row's attestation onto a
// forged rotation. Neither row verifies: the altered rotation is failed
// with nothing destroyed, every case still opens, and a new rotation
// finishes the job.
func TestAlteredRotationIsFailedNotFollowed(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	cases := append(e.createProbeCases(30, "shelter-a"), e.createProbeCases(3, "legal-b")...)
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	keyIDs := e.keyring.IDs()

	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.m.batchSize = 10
	e.m.afterBatch = func() { once.Do(func() { close(paused); <-release }) }
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	<-paused
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, "UPDATE key_rotations SET retiring_key_ids = array_append(retiring_key_ids, $2) WHERE id = $1", rot.ID, keyB)
	})
	close(release)
	failed := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if failed.State != RotationFailed || !strings.Contains(failed.Error, "not attested") {
		t.Fatalf("altered rotation ended as %+v, want failed as not attested", failed)
	}
	e.assertKeysIntact(append(keyIDs, rot.NewKeyID), cases, e.keyring)

	// The attestation of a real rotation does not carry over to a forged one.
	forged := newUUID()
	e.asServerRole(func(c *pgxpool.Conn) {
		e.mustExec(c, `INSERT INTO key_rotations (id, organization_id, old_key_id, new_key_id, state, retiring_key_ids, attestation)
			SELECT $1, organization_id, old_key_id, new_key_id, 1, ARRAY[$2], attestation FROM key_rotations WHERE id = $3`,
			forged, keyA, rot.ID)
	})
	if out, err := e.m.rotationStep(e.ctx, forged); !errors.Is(err, ErrRotationUnattested) {
		t.Fatalf("step of a rotation carrying another's attestation = %v, %v; want ErrRotationUnattested", out, err)
	}
	if _, err := e.pool.Exec(e.ctx, "DELETE FROM key_rotations WHERE id = $1", forged); err != nil {
		t.Fatal(err)
	}
	e.assertKeysIntact(append(keyIDs, rot.NewKeyID), cases, e.keyring)

	// The organisation admin rotates again: both of shelter-a's older keys
	// go, legal-b's stays.
	next, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if done := e.waitRotation(e.m, "shelter-a", next.ID); done.State != RotationDone {
		t.Fatalf("next rotation ended as %+v", done)
	}
	e.m.Wait()
	for _, k := range []string{keyA, rot.NewKeyID} {
		if keyFileExists(t, e.keyDir, k) {
			t.Errorf("shelter-a's key %s survived the next rotation", k)
		}
	}
	if !keyFileExists(t, e.keyDir, keyB) {
		t.Error("legal-b's key was destroyed")
	}
	fresh := e.newManager(e.loadKeyring(e.keyDir), nil)
	for _, c := range cases {
		if err := checkProbe(e.ctx, fresh, c); err != nil {
			t.Errorf("case %s: %v", c.id, err)
		}
	}
}

// stripOwner rewrites a key file as older versions wrote it, naming no
// organisation.
func stripOwner(t *testing.T, dir, keyID string) {
	t.Helper()
	path := filepath.Join(dir, keyID+".agekey")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "# organization: ") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyKeysAdoptedThenRotatedAway: key files written before files
// named their organisation are kept by a rotation until the server has
// recorded their organisation (once, at start-up); after that an erasure's
// rotation destroys them as before.
func TestLegacyKeysAdoptedThenRotatedAway(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(3, "shelter-a")
	first := e.activeKeyID("shelter-a")
	stripOwner(t, e.keyDir, first)
	e.m.Close()
	kr := e.loadKeyring(e.keyDir)
	m := e.newManager(kr, nil)
	if _, named := kr.Owner(first); named {
		t.Fatal("test premise: the key file names no organisation")
	}

	// Without adoption the rotation moves the case keys but keeps the key.
	rot, err := m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if done := e.waitRotation(m, "shelter-a", rot.ID); done.State != RotationDone {
		t.Fatalf("rotation ended as %+v", done)
	}
	m.Wait()
	if !keyFileExists(t, e.keyDir, first) {
		t.Fatal("a key whose file names no organisation was destroyed")
	}

	// A server started since has adopted every legacy file; the next
	// rotation destroys the kept key with the one it retires.
	second := rot.NewKeyID
	stripOwner(t, e.keyDir, second)
	m.Close()
	kr = e.loadKeyring(e.keyDir)
	m = e.newManager(kr, nil)
	n, err := m.AdoptLegacyKeys(e.ctx)
	if err != nil || n != 2 {
		t.Fatalf("AdoptLegacyKeys = %d, %v; want 2", n, err)
	}
	for _, k := range []string{first, second} {
		if owner, _ := e.loadKeyring(e.keyDir).Owner(k); owner != "shelter-a" {
			t.Fatalf("key %s: file names %q after adoption", k, owner)
		}
	}
	if n, err := m.AdoptLegacyKeys(e.ctx); err != nil || n != 0 {
		t.Fatalf("second AdoptLegacyKeys = %d, %v; want 0", n, err)
	}
	// first is still retiring (it was kept), so the next rotation lists it.
	if st, _ := e.keyState(first); st != KeyRetiring {
		t.Fatalf("kept key is in state %d, want retiring", st)
	}
	next, err := m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if done := e.waitRotation(m, "shelter-a", next.ID); done.State != RotationDone {
		t.Fatalf("rotation ended as %+v", done)
	}
	m.Wait()
	for _, k := range []string{first, second} {
		if keyFileExists(t, e.keyDir, k) {
			t.Errorf("adopted key %s survived its rotation", k)
		}
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, m, c); err != nil {
			t.Errorf("case %s: %v", c.id, err)
		}
	}
}
