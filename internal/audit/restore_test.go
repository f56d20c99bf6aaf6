package audit

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
)

// migratedPool opens dbURL, applies the migrations and closes the pool
// when t ends.
func migratedPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(ctxTimeout(t), dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctxTimeout(t), pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return pool
}

// A dump of a long-lived cluster (transaction ids in the millions)
// restored into a fresh cluster (ids in the hundreds) used to stop the
// chain for good: the chainer's horizon was the old cluster's xid, above
// every xid the new one would assign for years.
func TestChainKeepsLinkingAfterRestoreIntoAFreshCluster(t *testing.T) {
	t.Parallel()
	old := testdb.StartCluster(t)
	old.RaiseXID(t, "5000000")
	oldURL := old.Database(t, "casebridge")
	oldPool := migratedPool(t, oldURL)
	before := recordSome(t, oldPool, startRecorder(t, oldPool, Options{ChainInterval: -1}), 4)
	dump := old.Dump(t, oldURL)

	fresh := testdb.StartCluster(t)
	newURL := fresh.Database(t, "casebridge")
	mustExec(t, migratedPoolless(t, newURL), `CREATE ROLE casebridge_app NOLOGIN`)
	if out, ok := fresh.Restore(t, dump, newURL); !ok {
		t.Fatalf("pg_restore: %s", out)
	}
	pool := migratedPool(t, newURL)
	var xid int64
	if err := pool.QueryRow(context.Background(), `SELECT pg_current_xact_id()::text::bigint`).Scan(&xid); err != nil || xid >= 5000000 {
		t.Fatalf("fresh cluster's xid = %d, %v; the test needs it below the old cluster's", xid, err)
	}

	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	after := recordSome(t, pool, rec, 3)
	// A second round: the passes after the one that noticed the restore.
	after = append(after, recordSome(t, pool, rec, 2)...)

	linked, err := List(ctxTimeout(t), pool, Filter{Limit: 100})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := append(append([]string{}, before...), after...)
	if len(linked) != len(want) {
		t.Fatalf("List after the restore: %d events, want %d (the new ones are not linked)", len(linked), len(want))
	}
	for i, l := range linked {
		if l.Position != int64(i+1) || l.Event.CaseID != want[i] {
			t.Fatalf("position %d: case %s at %d, want %s", i+1, l.Event.CaseID, l.Position, want[i])
		}
	}
	res := verifyAll(t, pool)
	if !res.Intact || res.Checked != int64(len(want)) || res.Unlinked != 0 {
		t.Fatalf("Verify after the restore = %+v, want intact over %d", res, len(want))
	}
}

// migratedPoolless opens dbURL without migrating (the restore brings the
// schema), closed when t ends.
func migratedPoolless(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(ctxTimeout(t), dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// An event that the chainer never linked (here: inserted an hour ago and
// no chainer ran) must make the chain fail verification, not pass it.
func TestVerifyReportsEventsNeverLinked(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	recordSome(t, pool, startRecorder(t, pool, Options{ChainInterval: -1}), 2)
	mustExec(t, pool, `INSERT INTO audit_events (id, event_time, subject, method, code)
VALUES (gen_random_uuid(), now() - interval '1 hour', 'u', $1, 'OK')`, getCase)

	res := verifyAll(t, pool)
	if res.Intact || res.Unlinked != 1 || res.FirstBroken != 3 || !strings.Contains(res.Reason, "never linked") {
		t.Fatalf("Verify with an unlinked event = %+v, want broken at 3 naming 1 unlinked event", res)
	}
	// A range that stops before the chain's end is not about unlinked events.
	if res, err := Verify(ctxTimeout(t), pool, 1, 1); err != nil || !res.Intact {
		t.Fatalf("Verify(1, 1) = %+v, %v", res, err)
	}
	// Once linked, the chain verifies again.
	if _, err := NewChainer(pool, quietLog()).Flush(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	if res := verifyAll(t, pool); !res.Intact || res.Checked != 3 {
		t.Fatalf("Verify after linking = %+v", res)
	}
}
