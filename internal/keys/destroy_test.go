package keys

import (
	"slices"
	"sync"
	"testing"

	"github.com/casebridge/casebridge/internal/audit"
)

// destroyEvents returns the details of every key-destruction event in the
// audit log of orgID.
func (e *env) destroyEvents(orgID string) [][]string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `
		SELECT details FROM audit_events
		WHERE method = $1 AND subject = $2 AND organization_id = $3 AND code = 'OK'
		ORDER BY seq`, audit.MethodDestroyKey, audit.SystemSubject, orgID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var d []string
		if err := rows.Scan(&d); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestDatabaseCannotDestroyKeys: one UPDATE by the server's own role marks
// every organisation key retired; the next start destroys none of them, and
// every case still opens.
func TestDatabaseCannotDestroyKeys(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	cases := append(e.createProbeCases(5, "shelter-a"), e.createProbeCases(5, "legal-b")...)
	ids := e.keyring.IDs()
	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET state = 3"); err != nil {
		t.Fatal(err)
	}
	e.m.Close()

	// The server restarts.
	kr := e.loadKeyring(e.keyDir)
	m := e.newManager(kr, nil)
	if _, err := m.ResumeRotations(e.ctx); err != nil {
		t.Fatal(err)
	}
	m.Wait()
	for _, id := range ids {
		if !keyFileExists(t, e.keyDir, id) || !kr.Has(id) {
			t.Errorf("key %s was destroyed because the database called it retired", id)
		}
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, m, c); err != nil {
			t.Fatalf("case %s after the restart: %v", c.id, err)
		}
	}
	if ev := e.destroyEvents("shelter-a"); len(ev) != 0 {
		t.Errorf("destruction events without a destruction: %v", ev)
	}
}

// TestRotationDestroysOldKeyAudited: a rotation's last step destroys the
// key it retired, and the audit log records it with the rotation.
func TestRotationDestroysOldKeyAudited(t *testing.T) {
	e := newEnv(t, "shelter-a")
	e.createProbeCases(3, "shelter-a")
	oldKey := e.activeKeyID("shelter-a")
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if final := e.waitRotation(e.m, "shelter-a", rot.ID); final.State != RotationDone {
		t.Fatalf("rotation ended as %+v", final)
	}
	e.m.Wait()
	if keyFileExists(t, e.keyDir, oldKey) || e.keyring.Has(oldKey) {
		t.Error("the rotation left the old key")
	}
	want := []string{"rotation=" + rot.ID, "destroyed_key=" + oldKey}
	events := e.destroyEvents("shelter-a")
	if len(events) != 1 || !slices.Equal(events[0], want) {
		t.Errorf("destruction events %v, want one with %v", events, want)
	}
}

// TestRotationKeepsKeyStillNamed: the database claims a rotation finished
// and its old key retired while case keys are still wrapped to that key. A
// replica told so (and the server running the rotation) finds the wrapped
// keys and destroys nothing; the cases still open.
func TestRotationKeepsKeyStillNamed(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(40, "shelter-a")
	oldKey := e.activeKeyID("shelter-a")
	replicaDir := copyKeyFiles(t, e.keyDir, oldKey)
	replicaKeys := e.loadKeyring(replicaDir)
	replica := e.newManager(replicaKeys, nil)

	// Pause the rotation after its first batch: 30 case keys are still on
	// the old key.
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.m.batchSize = 10
	e.m.afterBatch = func() { once.Do(func() { close(paused); <-release }) }
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	<-paused
	defer e.m.Wait()
	defer close(release)

	if _, err := e.pool.Exec(e.ctx, "UPDATE key_rotations SET state = 2 WHERE id = $1", rot.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(e.ctx, "UPDATE organization_keys SET state = 3 WHERE key_id = $1", oldKey); err != nil {
		t.Fatal(err)
	}
	// What the replica does when told that the rotation finished.
	if out, err := replica.finishRotation(e.ctx, rot.ID); err != nil || out != finished {
		t.Fatalf("finishRotation on the replica = %v, %v", out, err)
	}
	if !replicaKeys.Has(oldKey) || !keyFileExists(t, replicaDir, oldKey) {
		t.Fatal("the replica destroyed a key that wrapped case keys still name")
	}
	if out, err := e.m.finishRotation(e.ctx, rot.ID); err != nil || out != finished {
		t.Fatalf("finishRotation on the server = %v, %v", out, err)
	}
	if !e.keyring.Has(oldKey) || !keyFileExists(t, e.keyDir, oldKey) {
		t.Fatal("the server destroyed a key that wrapped case keys still name")
	}
	reader := e.newManager(e.keyring, nil)
	for _, c := range cases {
		if err := checkProbe(e.ctx, reader, c); err != nil {
			t.Fatalf("case %s: %v", c.id, err)
		}
	}
	if ev := e.destroyEvents("shelter-a"); len(ev) != 0 {
		t.Errorf("destruction events without a destruction: %v", ev)
	}
}
