package keys

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
)

// env is one test's database, key directory and Manager.
type env struct {
	t       testing.TB
	ctx     context.Context
	pool    *pgxpool.Pool
	keyDir  string
	keyring *vault.Keyring
	m       *Manager
}

// newEnv creates a fresh database with the given organisations, each with an
// active key, and a caching Manager over a fresh keyring.
func newEnv(t testing.TB, orgs ...string) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), pool: testdb.New(t)}
	e.keyDir = filepath.Join(t.TempDir(), "keys")
	e.keyring = e.loadKeyring(e.keyDir)
	e.m = e.newManager(e.keyring, vault.NewKeyCache(1000, time.Hour))
	for _, org := range orgs {
		e.addOrg(org)
	}
	return e
}

func (e *env) loadKeyring(dir string) *vault.Keyring {
	e.t.Helper()
	kr, err := vault.LoadKeyring(dir)
	if err != nil {
		e.t.Fatalf("LoadKeyring: %v", err)
	}
	return kr
}

// newManager returns a Manager closed when the test ends (before the
// database is dropped). A nil cache means no caching.
func (e *env) newManager(kr *vault.Keyring, cache *vault.KeyCache) *Manager {
	e.t.Helper()
	var log *slog.Logger
	if os.Getenv("KEYS_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := NewManager(e.pool, kr, cache, log)
	e.t.Cleanup(m.Close)
	return m
}

func (e *env) addOrg(id string) vault.KeyInfo {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx,
		"INSERT INTO organizations (id, display_name, kind) VALUES ($1, $1, 1)", id); err != nil {
		e.t.Fatalf("insert organisation %s: %v", id, err)
	}
	info, err := e.m.EnsureOrgKey(e.ctx, e.pool, id)
	if err != nil {
		e.t.Fatalf("EnsureOrgKey(%s): %v", id, err)
	}
	return info
}

// insertCase inserts a minimal cases row on q and returns its id.
func insertCase(t testing.TB, ctx context.Context, q db.Querier, orgID string) string {
	t.Helper()
	id := newUUID()
	if _, err := q.Exec(ctx,
		"INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, $2, $3, 1)", id, orgID, id); err != nil {
		t.Fatalf("insert case: %v", err)
	}
	return id
}

// newKeyedCase inserts a case and creates its key for orgs, in one
// transaction as a service would.
func (e *env) newKeyedCase(owner string, more ...string) (string, *vault.CaseKey) {
	e.t.Helper()
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback(e.ctx)
	id := insertCase(e.t, e.ctx, tx, owner)
	key, err := e.m.CreateCaseKey(e.ctx, tx, id, append([]string{owner}, more...)...)
	if err != nil {
		e.t.Fatalf("CreateCaseKey: %v", err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(key.Wipe)
	return id, key
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sameKey reports whether a and b are the same case key, by sealing with
// one and opening with the other (the key bytes are not exported).
func sameKey(t testing.TB, a, b *vault.CaseKey, caseID string) bool {
	t.Helper()
	ct, err := vault.CaseSecrets.Seal(a, caseID, "", dataclass.Identity, []byte("probe"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	_, err = vault.CaseSecrets.Open(b, caseID, "", dataclass.Identity, ct)
	return err == nil
}

// waitRotation polls until the rotation is no longer running.
func (e *env) waitRotation(m *Manager, orgID, id string) Rotation {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rot, err := m.GetRotation(e.ctx, orgID, id)
		if err != nil {
			e.t.Fatalf("GetRotation: %v", err)
		}
		if rot.State != RotationRunning {
			return rot
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("rotation %s still running: %d/%d", id, rot.Done, rot.Total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyFileExists reports whether the key file of keyID is in dir.
func keyFileExists(t testing.TB, dir, keyID string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, keyID+".agekey"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// copyKeyFiles copies organisation key files into a new directory, to
// build a keyring holding only those keys (another server's view).
func copyKeyFiles(t testing.TB, fromDir string, keyIDs ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, keyID := range keyIDs {
		data, err := os.ReadFile(filepath.Join(fromDir, keyID+".agekey"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, keyID+".agekey"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		clear(data)
	}
	return dir
}

// wrappedRows returns the case's wrapped keys by key id, as a backup would
// hold them.
func (e *env) wrappedRows(caseID string) map[string][]byte {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, "SELECT key_id, wrapped FROM case_keys WHERE case_id = $1", caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var w []byte
		if err := rows.Scan(&id, &w); err != nil {
			e.t.Fatal(err)
		}
		out[id] = w
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) activeKeyID(orgID string) string {
	e.t.Helper()
	var id string
	if err := e.pool.QueryRow(e.ctx,
		"SELECT key_id FROM organization_keys WHERE organization_id = $1 AND state = 1", orgID).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) keyState(keyID string) (KeyState, bool) {
	e.t.Helper()
	var st KeyState
	var retired *time.Time
	if err := e.pool.QueryRow(e.ctx,
		"SELECT state, retire_time FROM organization_keys WHERE key_id = $1", keyID).Scan(&st, &retired); err != nil {
		e.t.Fatal(err)
	}
	return st, retired != nil
}
