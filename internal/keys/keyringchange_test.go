package keys

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink safe for the Manager's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestKeyringChangesAreReported: creating an organisation's key and
// rotating it tell the operator to take a new keyring backup — a log line
// naming the key ids and nothing secret, counters, and the time of the
// change that every server reads from the database.
func TestKeyringChangesAreReported(t *testing.T) {
	e := newEnv(t)
	e.m.Close() // the two servers below are the only ones
	var logs lockedBuffer
	m := NewManager(e.pool, e.keyring, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(m.Close)
	// Another replica over the same key directory: whichever server
	// finishes the rotation reports the destruction.
	other := NewManager(e.pool, e.loadKeyring(e.keyDir), nil, slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(other.Close)

	if at, err := m.KeyringChangedAt(e.ctx); err != nil || !at.IsZero() {
		t.Fatalf("KeyringChangedAt with no key = %v, %v; want zero", at, err)
	}
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO organizations (id, display_name, kind) VALUES ('shelter-a', 'A', 1)"); err != nil {
		t.Fatal(err)
	}
	first, err := m.EnsureOrgKey(e.ctx, e.pool, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if c := m.KeyringChanges(); c.Created != 1 || c.Destroyed != 0 || c.Last.IsZero() {
		t.Fatalf("after creating a key: %+v", c)
	}
	created, err := m.KeyringChangedAt(e.ctx)
	if err != nil || created.IsZero() {
		t.Fatalf("KeyringChangedAt = %v, %v", created, err)
	}
	e.m = m
	e.createProbeCases(3, "shelter-a")
	other.Wait()

	time.Sleep(10 * time.Millisecond) // the rotation's timestamps are later
	rot, err := m.StartRotation(e.ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	if final := e.waitRotation(m, "shelter-a", rot.ID); final.State != RotationDone {
		t.Fatalf("rotation ended as %+v", final)
	}
	m.Wait()
	other.Wait()
	c, o := m.KeyringChanges(), other.KeyringChanges()
	if c.Created != 2 || o.Created != 0 || c.Destroyed+o.Destroyed != 1 {
		t.Errorf("after a rotation: %+v and %+v, want 2 created here and 1 destroyed by either", c, o)
	}
	for _, mm := range []*Manager{m, other} {
		at, err := mm.KeyringChangedAt(e.ctx)
		if err != nil || !at.After(created) {
			t.Errorf("KeyringChangedAt after the rotation = %v, %v; want after %v", at, err, created)
		}
	}

	out := logs.String()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "take a new keyring backup") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d backup notices, want 3 (created, rotation's key created, old key destroyed):\n%s", len(lines), out)
	}
	for i, id := range []string{first.ID, rot.NewKeyID, first.ID} {
		if !strings.Contains(lines[i], id) {
			t.Errorf("notice %d does not name key %s: %s", i, id, lines[i])
		}
	}
	if strings.Contains(out, "AGE-SECRET-KEY") || strings.Contains(out, first.Recipient) {
		t.Error("the log carries key material or a recipient")
	}
}
