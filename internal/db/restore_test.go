package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
)

// pg_dump carries GRANTs but not roles: restored into a fresh cluster,
// every GRANT to casebridge_app fails, and migrate used to find nothing
// pending and repair nothing, leaving a server that cannot read
// goose_db_version. Migrate now ensures the role and its privileges on
// every run.
func TestMigrateRepairsPrivilegesAfterRestoreIntoAFreshCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, srcURL := testdb.NewWithURL(t)
	fresh := testdb.StartCluster(t)
	dump := fresh.Dump(t, srcURL)
	dstURL := fresh.Database(t, "casebridge")
	out, ok := fresh.Restore(t, dump, dstURL)
	if ok || !strings.Contains(out, `role "casebridge_app" does not exist`) {
		t.Fatalf("pg_restore into a cluster without the role: ok=%v\n%s\n(the test expects its GRANTs to fail)", ok, out)
	}
	pool, err := db.Open(ctx, dstURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for range 2 { // idempotent: a second run changes nothing and succeeds
		if err := db.Migrate(ctx, pool); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	checks := []struct {
		sql  string
		want bool
	}{
		{`SELECT has_table_privilege('casebridge_app', 'cases', 'SELECT, INSERT, UPDATE, DELETE')`, true},
		{`SELECT has_table_privilege('casebridge_app', 'goose_db_version', 'SELECT')`, true},
		{`SELECT has_table_privilege('casebridge_app', 'goose_db_version', 'INSERT')`, false},
		{`SELECT has_table_privilege('casebridge_app', 'audit_events', 'INSERT')`, true},
		{`SELECT has_table_privilege('casebridge_app', 'audit_events', 'UPDATE')`, false},
		{`SELECT has_table_privilege('casebridge_app', 'claim_payments', 'DELETE')`, false},
		{`SELECT has_column_privilege('casebridge_app', 'claim_payments', 'texts', 'UPDATE')`, true},
	}
	for _, c := range checks {
		var got bool
		if err := pool.QueryRow(ctx, c.sql).Scan(&got); err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.sql, got, err, c.want)
		}
	}
	// As the server's role: what it reads at start-up and what it writes.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE casebridge_app`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM goose_db_version`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("casebridge_app reading goose_db_version: %d rows, %v", n, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ('restored', 'R', 1)`); err != nil {
		t.Fatalf("casebridge_app inserting: %v", err)
	}
}
