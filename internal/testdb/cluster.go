package testdb

import (
	"bytes"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a whole throwaway PostgreSQL cluster of its own, started with
// deploy/postgres.sh, for tests that move a database between clusters
// (pg_dump in one, pg_restore into a fresh one) or change a cluster-wide
// setting such as the transaction-id counter.
type Cluster struct {
	dir    string
	script string
}

// StartCluster initialises and starts a cluster, stopped and removed when
// t ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "casebridge-cluster-")
	if err != nil {
		t.Fatalf("testdb: cluster dir: %v", err)
	}
	// The server runs as another user when the tests run as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testdb: cluster dir: %v", err)
	}
	c := &Cluster{dir: dir, script: filepath.Join(repoRoot(t), "deploy", "postgres.sh")}
	t.Cleanup(func() {
		_, _ = osexec.Command(c.script, "stop", dir).CombinedOutput()
		_ = os.RemoveAll(dir)
	})
	c.run(t, "start", dir, "--fast")
	return c
}

// Database creates database name (if missing) and returns its URL.
func (c *Cluster) Database(t testing.TB, name string) string {
	t.Helper()
	return c.run(t, "database", c.dir, name)
}

// RaiseXID restarts the cluster with its next transaction id set to xid,
// as on a cluster that has run for a long time.
func (c *Cluster) RaiseXID(t testing.TB, xid string) {
	t.Helper()
	c.run(t, "raise-xid", c.dir, xid)
}

// Program returns the path of a PostgreSQL client program (pg_dump,
// pg_restore, psql) of the same installation as the server.
func (c *Cluster) Program(t testing.TB, name string) string {
	t.Helper()
	return c.run(t, "bin", c.dir, name)
}

// Dump writes a custom-format pg_dump of dbURL to a file and returns its path.
func (c *Cluster) Dump(t testing.TB, dbURL string) string {
	t.Helper()
	path := filepath.Join(c.dir, "dump.pgdump")
	out, err := osexec.Command(c.Program(t, "pg_dump"), "-Fc", "-f", path, "-d", dbURL).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	return path
}

// Restore runs pg_restore of dump into dbURL and returns its output and
// whether it reported errors (it goes on past a failed statement).
func (c *Cluster) Restore(t testing.TB, dump, dbURL string) (string, bool) {
	t.Helper()
	out, err := osexec.Command(c.Program(t, "pg_restore"), "-d", dbURL, dump).CombinedOutput()
	return string(out), err == nil
}

func (c *Cluster) run(t testing.TB, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := osexec.Command(c.script, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// repoRoot is the directory holding go.mod, found upwards from the test's
// working directory (its package directory).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testdb: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testdb: no go.mod above the working directory")
		}
		dir = parent
	}
}
