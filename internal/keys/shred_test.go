package keys

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/vault"
)

// assertShredded checks that no keyring can unwrap any of the backed-up
// wrapped keys of caseID.
func assertShredded(t *testing.T, caseID string, backup map[string][]byte, keyrings map[string]*vault.Keyring) {
	t.Helper()
	for name, kr := range keyrings {
		for keyID, w := range backup {
			k, err := kr.UnwrapCaseKey(w, caseID)
			if !errors.Is(err, vault.ErrNoKey) {
				k.Wipe()
				t.Errorf("keyring %s: backup of the case key wrapped to %s: err = %v, want vault.ErrNoKey", name, keyID, err)
			}
		}
	}
}

func TestShredReachesOldBackups(t *testing.T) {
	e := newEnv(t, "shelter-a", "legal-b")
	keyA, keyB := e.activeKeyID("shelter-a"), e.activeKeyID("legal-b")
	erased, erasedKey := e.newKeyedCase("shelter-a", "legal-b")
	kept, keptKey := e.newKeyedCase("shelter-a")
	ct, err := vault.CaseSecrets.Seal(erasedKey, erased, "", dataclass.Identity, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO case_secrets (case_id, class, ciphertext) VALUES ($1, 1, $2)", erased, ct); err != nil {
		t.Fatal(err)
	}

	// A replica with a keyring of its own over the shared key directory
	// (one volume mounted by every server).
	replicaKeys := e.loadKeyring(e.keyDir)
	replica := e.newManager(replicaKeys, nil)

	// Last night's backup.
	backup := e.wrappedRows(erased)
	if len(backup) != 2 {
		t.Fatalf("case has %d wrapped keys, want 2", len(backup))
	}
	for _, w := range backup {
		k, err := e.keyring.UnwrapCaseKey(w, erased)
		if err != nil {
			t.Fatalf("test premise: the backup unwraps before the erasure: %v", err)
		}
		k.Wipe()
	}

	// The eraser: shred, rotate and delete the ciphertexts in one transaction.
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	rots, err := e.m.ShredAndRotate(e.ctx, tx, erased)
	if err != nil {
		t.Fatalf("ShredAndRotate: %v", err)
	}
	if _, err := tx.Exec(e.ctx, "DELETE FROM case_secrets WHERE case_id = $1", erased); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	if len(rots) != 2 {
		t.Fatalf("ShredAndRotate started %d rotations, want 2 (both organisations wrapped the key)", len(rots))
	}
	for _, r := range rots {
		if final := e.waitRotation(e.m, r.OrganizationID, r.ID); final.State != RotationDone {
			t.Fatalf("rotation of %s ended as %+v", r.OrganizationID, final)
		}
	}
	e.m.Wait()

	if _, err := e.m.CaseKey(e.ctx, e.pool, erased); !errors.Is(err, ErrNoCaseKey) {
		t.Errorf("CaseKey of the erased case: err = %v, want ErrNoCaseKey", err)
	}
	// The replica learns of the finished rotations and forgets the keys the
	// finisher deleted (it deletes nothing itself).
	deadline := time.Now().Add(10 * time.Second)
	for replicaKeys.Has(keyA) || replicaKeys.Has(keyB) {
		if time.Now().After(deadline) {
			t.Fatal("the replica still holds the retired keys")
		}
		time.Sleep(10 * time.Millisecond)
	}
	replica.Wait()
	assertShredded(t, erased, backup, map[string]*vault.Keyring{
		"server":   e.keyring,
		"reloaded": e.loadKeyring(e.keyDir),
		"replica":  replicaKeys,
	})

	// Other cases were re-wrapped and read as before.
	k, err := e.newManager(e.keyring, nil).CaseKey(e.ctx, e.pool, kept)
	if err != nil {
		t.Fatalf("CaseKey of a kept case: %v", err)
	}
	defer k.Wipe()
	if !sameKey(t, keptKey, k, kept) {
		t.Error("a kept case's key changed")
	}
}

func TestShredDuringRotationExtendsIt(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(40, "shelter-a")

	// Pause the worker after its first batch: a backup is taken then.
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.m.batchSize = 10
	e.m.afterBatch = func() { once.Do(func() { close(paused); <-release }) }
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	<-paused
	var erased string
	if err := e.pool.QueryRow(e.ctx, "SELECT case_id::text FROM case_keys WHERE key_id = $1 LIMIT 1", rot.NewKeyID).Scan(&erased); err != nil {
		t.Fatalf("no case moved to the new key yet: %v", err)
	}
	backup := e.wrappedRows(erased) // wrapped to the rotation's target key

	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	rots, err := e.m.ShredAndRotate(e.ctx, tx, erased)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	close(release)
	if len(rots) != 1 || rots[0].ID != rot.ID || rots[0].NewKeyID == rot.NewKeyID {
		t.Fatalf("erasure during a rotation returned %+v; want rotation %s retargeted to a fresh key", rots, rot.ID)
	}
	final := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if final.State != RotationDone || final.Done != final.Total || final.NewKeyID != rots[0].NewKeyID {
		t.Fatalf("extended rotation ended as %+v", final)
	}
	for _, k := range []string{rot.OldKeyID, rot.NewKeyID} {
		if st, _ := e.keyState(k); st != KeyRetired || e.keyring.Has(k) || keyFileExists(t, e.keyDir, k) {
			t.Errorf("key %s: state %d; want retired and destroyed", k, st)
		}
	}
	assertShredded(t, erased, backup, map[string]*vault.Keyring{
		"server": e.keyring, "reloaded": e.loadKeyring(e.keyDir),
	})
	if n := e.countKeys("key_id <> $1", final.NewKeyID); n != 0 {
		t.Errorf("%d case keys are not on the newest key", n)
	}
	uncached := e.newManager(e.keyring, nil)
	for _, c := range cases {
		if c.id == erased {
			continue
		}
		if err := checkProbe(e.ctx, uncached, c); err != nil {
			t.Fatalf("case %s after the extended rotation: %v", c.id, err)
		}
	}
}
