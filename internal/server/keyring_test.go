package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
)

// A server whose keyring lacks keys its database names (no keyring, or a
// backup from before a rotation) used to start and say SERVING while every
// read failed. It now refuses to start, naming the missing key ids, and
// leaves the keys it does hold alone.
func TestServerRefusesAKeyringMissingTheDatabasesKeys(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := t.TempDir()
	cfg := server.Config{Dev: true, DataDir: data, KeyringDir: filepath.Join(data, "keys"), DatabaseURL: url,
		LogLevel: "info", LogFormat: "text", ShutdownGrace: time.Second}
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	srv.Close()
	var ids []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(key_id ORDER BY key_id) FROM organization_keys WHERE state IN (1, 2)`).Scan(&ids); err != nil || len(ids) == 0 {
		t.Fatalf("keys the dev world created: %v, %v", ids, err)
	}

	cfg.KeyringDir = filepath.Join(t.TempDir(), "empty")
	srv, err = server.New(ctx, cfg, log)
	if err == nil {
		srv.Close()
		t.Fatal("the server started with a keyring that holds none of the database's keys")
	}
	for _, id := range ids {
		if !strings.Contains(err.Error(), id) {
			t.Fatalf("start-up error does not name missing key %s: %v", id, err)
		}
	}
	// The matching keyring still works: nothing was destroyed.
	cfg.KeyringDir = filepath.Join(data, "keys")
	srv, err = server.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start with the matching keyring again: %v", err)
	}
	srv.Close()
}

// copyDir copies a keyring directory as a backup would.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
		clear(data)
	}
}

// The keyring and the database must come from the same side of a
// rotation. A keyring backup from before it lacks the new key; one from
// after it lacks the old key that a database backup from before it still
// names. Either mismatch stops the server with the missing key ids; the
// matching pairs start.
func TestServerRefusesAKeyringFromTheOtherSideOfARotation(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data := t.TempDir()
	liveKeys := filepath.Join(data, "keys")
	cfg := server.Config{Dev: true, DataDir: data, KeyringDir: liveKeys, DatabaseURL: url,
		LogLevel: "info", LogFormat: "text", ShutdownGrace: time.Second}
	start := func(keyringDir string) error {
		t.Helper()
		c := cfg
		c.KeyringDir = keyringDir
		srv, err := server.New(ctx, c, log)
		if err == nil {
			srv.Close()
		}
		return err
	}
	if err := start(liveKeys); err != nil {
		t.Fatalf("first start: %v", err)
	}

	// Last night's backup: the key tables of the database, and the keyring.
	for _, table := range []string{"organization_keys", "case_keys", "key_rotations"} {
		if _, err := pool.Exec(ctx, "CREATE TABLE before_"+table+" AS SELECT * FROM "+table); err != nil {
			t.Fatal(err)
		}
	}
	keysBefore := filepath.Join(t.TempDir(), "keys-before")
	copyDir(t, liveKeys, keysBefore)

	// shelter-a's key is rotated, to the end: its old key file is gone.
	kr, err := vault.LoadKeyring(liveKeys)
	if err != nil {
		t.Fatal(err)
	}
	m := keys.NewManager(pool, kr, nil, log)
	rot, err := m.StartRotation(ctx, "shelter-a")
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := m.GetRotation(ctx, "shelter-a", rot.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == keys.RotationDone {
			break
		}
		if r.State != keys.RotationRunning || ctx.Err() != nil {
			t.Fatalf("rotation ended as %+v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Close()

	// The database from after, with the keyring from before.
	err = start(keysBefore)
	if err == nil || !strings.Contains(err.Error(), rot.NewKeyID) || strings.Contains(err.Error(), rot.OldKeyID) {
		t.Fatalf("start with the keyring from before the rotation: %v; want it to name only the new key %s", err, rot.NewKeyID)
	}
	if err := start(liveKeys); err != nil {
		t.Fatalf("start with the matching pair after the rotation: %v", err)
	}

	// The database from before, with the keyring from after.
	if _, err := pool.Exec(ctx, `
		DELETE FROM key_rotations; DELETE FROM case_keys; DELETE FROM organization_keys;
		INSERT INTO organization_keys SELECT * FROM before_organization_keys;
		INSERT INTO case_keys SELECT * FROM before_case_keys;
		INSERT INTO key_rotations SELECT * FROM before_key_rotations`); err != nil {
		t.Fatal(err)
	}
	err = start(liveKeys)
	if err == nil || !strings.Contains(err.Error(), rot.OldKeyID) || strings.Contains(err.Error(), rot.NewKeyID) {
		t.Fatalf("start with the keyring from after the rotation: %v; want it to name only the old key %s", err, rot.OldKeyID)
	}
	if err := start(keysBefore); err != nil {
		t.Fatalf("start with the matching pair from before the rotation: %v", err)
	}
}
