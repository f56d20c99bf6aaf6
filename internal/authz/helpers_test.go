package authz

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/policies"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// defaultEngine is the embedded policy, without polling.
func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(policies.Files(), EngineOptions{PollInterval: -1, Logger: quietLog})
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

// policyDir copies the embedded policy into a temporary directory, for
// tests that change the files under a running engine.
func policyDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{ModelFile, PolicyFile, MethodsFile} {
		b, err := fs.ReadFile(policies.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	return dir
}

// writeFile replaces a file the way operators are told to: write a
// temporary file and rename it over the old one.
func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func addOrgs(t testing.TB, pool *pgxpool.Pool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		exec(t, pool, `INSERT INTO organizations (id, display_name, kind) VALUES ($1, $1, 1)`, id)
	}
}

func addMember(t testing.TB, pool *pgxpool.Pool, org, subject string, roles ...string) {
	t.Helper()
	exec(t, pool, `INSERT INTO memberships (organization_id, subject, roles) VALUES ($1, $2, $3)`, org, subject, roles)
}

// startMembers returns a started resolver, closed when the test ends, after
// its listener is connected.
func startMembers(t testing.TB, pool *pgxpool.Pool, opts MembersOptions) *Members {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLog
	}
	m := NewMembers(pool, opts)
	m.Start(context.Background())
	t.Cleanup(m.Close)
	waitFor(t, 10*time.Second, "listener connected", m.Listening)
	return m
}

func principal(t testing.TB, m *Members, subject string) Principal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := m.Principal(ctx, subject)
	if err != nil {
		t.Fatalf("Principal(%s): %v", subject, err)
	}
	return p
}

// waitFor polls cond every 10ms until it holds or limit passes, and returns
// how long it took.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
