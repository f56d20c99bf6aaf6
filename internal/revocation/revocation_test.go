package revocation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/testdb"
)

// TestTheRowDecidesWhenNoNotificationArrived: a replica that never heard
// of a revocation (here: no listener at all, as when its listener is down)
// asks the database, so a row written without any notification is refused.
func TestTheRowDecidesWhenNoNotificationArrived(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	r := revocation.New(pool, nil)
	exp := time.Now().Add(time.Hour)
	if revoked, err := r.Revoked(ctx, "jti-missed", exp); err != nil || revoked {
		t.Fatalf("before: revoked=%v err=%v", revoked, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES ('jti-missed', $1)`, exp); err != nil {
		t.Fatal(err)
	}
	if revoked, err := r.Revoked(ctx, "jti-missed", exp); err != nil || !revoked {
		t.Fatalf("after a revocation nobody announced: revoked=%v err=%v", revoked, err)
	}
}

// TestRevocationCommitsWithItsRecord: the record (the audit event) runs in
// the revocation's transaction; when it fails nothing is revoked.
func TestRevocationCommitsWithItsRecord(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	r := revocation.New(pool, nil)
	exp := time.Now().Add(time.Hour)
	boom := errors.New("record failed")
	if err := r.Revoke(ctx, "jti-rolled-back", exp, func(pgx.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("revoke with a failing record: %v", err)
	}
	if revoked, err := revocation.New(pool, nil).Revoked(ctx, "jti-rolled-back", exp); err != nil || revoked {
		t.Fatalf("a revocation whose record failed stuck: revoked=%v err=%v", revoked, err)
	}
	var inTx bool
	if err := r.Revoke(ctx, "jti-kept", exp, func(tx pgx.Tx) error {
		var n int
		inTx = tx.QueryRow(ctx, `SELECT count(*) FROM revoked_tokens WHERE token_id = 'jti-kept'`).Scan(&n) == nil && n == 1
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inTx {
		t.Error("the record did not see the revocation's row: not its transaction")
	}
	if revoked, err := revocation.New(pool, nil).Revoked(ctx, "jti-kept", exp); err != nil || !revoked {
		t.Fatalf("revoked=%v err=%v", revoked, err)
	}
	if err := r.Revoke(ctx, "", exp, nil); err == nil {
		t.Error("a revocation without a token id was accepted")
	}
}

// TestRevocationsEndWithTheirTokens: rows of tokens past their expiry are
// deleted, by Prune and by the next revocation; the others stay.
func TestRevocationsEndWithTheirTokens(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	r := revocation.New(pool, nil)
	if _, err := pool.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES
		('old-1', now() - interval '1 minute'), ('old-2', now() - interval '1 day')`); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ctx, "live", time.Now().Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		rows, err := pool.Query(ctx, `SELECT token_id FROM revoked_tokens ORDER BY token_id`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := ids(); len(got) != 1 || got[0] != "live" {
		t.Fatalf("after a revocation: %v, want [live]", got)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO revoked_tokens (token_id, expire_time) VALUES ('old-3', now() - interval '1 second')`); err != nil {
		t.Fatal(err)
	}
	n, err := r.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("prune: %d rows, %v; want 1", n, err)
	}
	if got := ids(); len(got) != 1 || got[0] != "live" {
		t.Fatalf("after prune: %v, want [live]", got)
	}
}
