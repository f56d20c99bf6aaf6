package server_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/testdb"
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
