package keys

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// probeCase is a keyed case with a value sealed under its key, so a reader
// can prove it got the right key.
type probeCase struct {
	id    string
	probe []byte
}

// createProbeCase inserts a case, creates its key and seals a probe, in
// one transaction; it reports errors instead of failing, for goroutines.
func createProbeCase(ctx context.Context, m *Manager, q db.Querier, orgID string) (probeCase, error) {
	tx, err := q.Begin(ctx)
	if err != nil {
		return probeCase{}, err
	}
	defer tx.Rollback(ctx)
	id := newUUID()
	if _, err := tx.Exec(ctx,
		"INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, $2, $3, 1)", id, orgID, id); err != nil {
		return probeCase{}, err
	}
	key, err := m.CreateCaseKey(ctx, tx, id, orgID)
	if err != nil {
		return probeCase{}, err
	}
	defer key.Wipe()
	probe, err := vault.CaseSecrets.Seal(key, id, "", dataclass.Care, []byte("probe "+id))
	if err != nil {
		return probeCase{}, err
	}
	return probeCase{id: id, probe: probe}, tx.Commit(ctx)
}

func (e *env) createProbeCases(n int, orgID string) []probeCase {
	e.t.Helper()
	out := make([]probeCase, n)
	for i := range out {
		c, err := createProbeCase(e.ctx, e.m, e.pool, orgID)
		if err != nil {
			e.t.Fatalf("create case: %v", err)
		}
		out[i] = c
	}
	return out
}

// checkProbe reads the case key through m and opens the probe with it.
func checkProbe(ctx context.Context, m *Manager, c probeCase) error {
	key, err := m.CaseKey(ctx, m.pool, c.id)
	if err != nil {
		return err
	}
	defer key.Wipe()
	_, err = vault.CaseSecrets.Open(key, c.id, "", dataclass.Care, c.probe)
	return err
}

func (e *env) countKeys(where string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM case_keys WHERE "+where, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestRotationWhileServing(t *testing.T) {
	e := newEnv(t, "shelter-a")
	e.m.batchSize = 25 // more batches, more interleaving with readers
	oldKey := e.activeKeyID("shelter-a")

	var mu sync.Mutex
	cases := e.createProbeCases(300, "shelter-a")
	pick := func() probeCase {
		mu.Lock()
		defer mu.Unlock()
		return cases[rand.IntN(len(cases))]
	}

	// Readers use an uncached Manager so that every read really unwraps,
	// racing the batches and the old key's destruction.
	reader := e.newManager(e.keyring, nil)
	stop := make(chan struct{})
	var reads, creates atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := pick()
				if err := checkProbe(e.ctx, reader, c); err != nil {
					t.Errorf("read of case %s during rotation: %v", c.id, err)
					return
				}
				reads.Add(1)
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			c, err := createProbeCase(e.ctx, e.m, e.pool, "shelter-a")
			if err != nil {
				t.Errorf("create case during rotation: %v", err)
				return
			}
			mu.Lock()
			cases = append(cases, c)
			mu.Unlock()
			creates.Add(1)
		}
	})

	time.Sleep(50 * time.Millisecond) // let the load start
	start := time.Now()
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatalf("StartRotation: %v", err)
	}
	if rot.OldKeyID != oldKey || rot.NewKeyID == oldKey || rot.State != RotationRunning {
		t.Fatalf("StartRotation = %+v", rot)
	}
	final := e.waitRotation(e.m, "shelter-a", rot.ID)
	elapsed := time.Since(start)
	time.Sleep(100 * time.Millisecond) // keep serving after the old key is gone
	close(stop)
	wg.Wait()
	e.m.Wait()
	reader.Wait()

	t.Logf("rotation of %d case keys took %v; %d reads and %d creates meanwhile",
		final.Total, elapsed.Round(time.Millisecond), reads.Load(), creates.Load())
	if final.State != RotationDone || final.Error != "" || final.FinishTime.IsZero() {
		t.Fatalf("rotation ended as %+v", final)
	}
	if final.Done != final.Total || final.Total < 300 {
		t.Errorf("progress %d/%d, want done == total >= 300", final.Done, final.Total)
	}
	if reads.Load() == 0 || creates.Load() == 0 {
		t.Errorf("no load during the rotation: %d reads, %d creates", reads.Load(), creates.Load())
	}
	if n := e.countKeys("key_id <> $1", rot.NewKeyID); n != 0 {
		t.Errorf("%d case keys are not on the new key", n)
	}
	if n, want := e.countKeys("true"), 300+int(creates.Load()); n != want {
		t.Errorf("%d case keys, want %d", n, want)
	}
	if st, retired := e.keyState(oldKey); st != KeyRetired || !retired {
		t.Errorf("old key state %d (retire_time set: %v), want retired", st, retired)
	}
	if st, _ := e.keyState(rot.NewKeyID); st != KeyActive {
		t.Errorf("new key state %d, want active", st)
	}
	if keyFileExists(t, e.keyDir, oldKey) || e.keyring.Has(oldKey) {
		t.Error("the old key's identity still exists")
	}
	// Every case, old and new, still reads with the right key.
	for _, c := range cases {
		if err := checkProbe(e.ctx, reader, c); err != nil {
			t.Fatalf("case %s after the rotation: %v", c.id, err)
		}
	}
}

func TestRotationResumes(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(300, "shelter-a")
	oldKey := e.activeKeyID("shelter-a")

	// The server stops right after the first batch.
	e.m.batchSize = 100
	e.m.afterBatch = e.m.cancel
	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	e.m.Wait()
	stopped, err := e.m.GetRotation(e.ctx, "shelter-a", rot.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.State != RotationRunning || stopped.Done != 100 || stopped.Total != 300 {
		t.Fatalf("after one batch the rotation is %+v, want running 100/300", stopped)
	}
	// Asking again returns the running rotation instead of starting one.
	again, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil || again.ID != rot.ID {
		t.Fatalf("StartRotation while running = %+v, %v; want rotation %s", again, err, rot.ID)
	}
	e.m.Close()

	// A restarted server loads its keys from disk and resumes.
	kr := e.loadKeyring(e.keyDir)
	m := e.newManager(kr, nil)
	n, err := m.ResumeRotations(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("ResumeRotations = %d, %v; want 1", n, err)
	}
	final := e.waitRotation(m, "shelter-a", rot.ID)
	m.Wait()
	if final.State != RotationDone || final.Done != 300 || final.Total != 300 {
		t.Fatalf("resumed rotation ended as %+v", final)
	}
	if keyFileExists(t, e.keyDir, oldKey) || kr.Has(oldKey) {
		t.Error("the old key's identity still exists")
	}
	if st, _ := e.keyState(oldKey); st != KeyRetired {
		t.Errorf("old key state %d, want retired", st)
	}
	for _, c := range cases {
		if err := checkProbe(e.ctx, m, c); err != nil {
			t.Fatalf("case %s after the rotation: %v", c.id, err)
		}
	}
}

func TestRotationFailureIsRecordedAndRecoverable(t *testing.T) {
	e := newEnv(t, "shelter-a")
	cases := e.createProbeCases(20, "shelter-a")
	firstKey := e.activeKeyID("shelter-a")
	bad := insertCase(t, e.ctx, e.pool, "shelter-a")
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO case_keys (case_id, key_id, wrapped) VALUES ($1, $2, 'garbage')", bad, firstKey); err != nil {
		t.Fatal(err)
	}

	rot, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	failed := e.waitRotation(e.m, "shelter-a", rot.ID)
	e.m.Wait()
	if failed.State != RotationFailed || failed.Error != "a wrapped case key is corrupt or bound to another case" {
		t.Fatalf("rotation over a corrupt row ended as %+v", failed)
	}
	if _, err := e.m.GetRotation(e.ctx, "shelter-a", newUUID()); !errors.Is(err, ErrRotationNotFound) {
		t.Errorf("GetRotation of an unknown id: err = %v, want ErrRotationNotFound", err)
	}
	e.addOrg("other-org")
	if _, err := e.m.GetRotation(e.ctx, "other-org", rot.ID); !errors.Is(err, ErrRotationNotFound) {
		t.Errorf("GetRotation through another organisation: err = %v, want ErrRotationNotFound", err)
	}

	// The retiring key keeps working: nothing became unreadable.
	if st, _ := e.keyState(firstKey); st != KeyRetiring || !e.keyring.Has(firstKey) {
		t.Fatalf("after a failed rotation the old key is state %d, held %v", st, e.keyring.Has(firstKey))
	}
	uncached := e.newManager(e.keyring, nil)
	for _, c := range cases {
		if err := checkProbe(e.ctx, uncached, c); err != nil {
			t.Fatalf("case %s after the failed rotation: %v", c.id, err)
		}
	}
	if _, err := uncached.CaseKey(e.ctx, e.pool, bad); !errors.Is(err, vault.ErrCorrupt) {
		t.Errorf("CaseKey of the corrupt case: err = %v, want ErrCorrupt", err)
	}

	// Once the bad row is dealt with, the next rotation also moves what the
	// failed one left on its old key, and retires both keys.
	if _, err := e.pool.Exec(e.ctx, "DELETE FROM case_keys WHERE case_id = $1", bad); err != nil {
		t.Fatal(err)
	}
	next, err := e.m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == rot.ID || next.Total != 20 {
		t.Fatalf("second rotation = %+v, want a new one over 20 case keys", next)
	}
	done := e.waitRotation(e.m, "shelter-a", next.ID)
	e.m.Wait()
	if done.State != RotationDone || done.Done != done.Total {
		t.Fatalf("second rotation ended as %+v", done)
	}
	for _, k := range []string{firstKey, rot.NewKeyID} {
		if st, _ := e.keyState(k); st != KeyRetired || e.keyring.Has(k) {
			t.Errorf("key %s: state %d, held %v; want retired and destroyed", k, st, e.keyring.Has(k))
		}
	}
	if n := e.countKeys("key_id <> $1", next.NewKeyID); n != 0 {
		t.Errorf("%d case keys are not on the newest key", n)
	}
}
