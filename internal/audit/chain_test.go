package audit

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
)

func verifyAll(t *testing.T, pool *pgxpool.Pool) VerifyResult {
	t.Helper()
	res, err := Verify(ctxTimeout(t), pool, 0, 0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

// recordSome records n read events and links them.
func recordSome(t *testing.T, pool *pgxpool.Pool, rec *Recorder, n int) []string {
	t.Helper()
	var cases []string
	for i := range n {
		id := uuid.NewString()
		ctx := callCtx("u"+string(rune('a'+i%26)), getCase, map[string][]string{"org": {"caseworker"}})
		if err := rec.Read(ctx, "", id, []dataclass.Class{"identity"}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, id)
	}
	if err := rec.Flush(ctxTimeout(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return cases
}

func TestFiftyConcurrentWritersLeaveAValidChain(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	// The recorder's chainer runs every 5 ms, and a second chainer (another
	// replica) competes with it while the writers write.
	rec := startRecorder(t, pool, Options{ChainInterval: 5 * time.Millisecond})
	other := NewChainer(pool, quietLog())
	otherCtx, stopOther := context.WithCancel(context.Background())
	otherDone := make(chan struct{})
	go func() { defer close(otherDone); other.Run(otherCtx, 7*time.Millisecond) }()

	const writers, rounds = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for r := range rounds {
				ctx := callCtx("writer", "/casebridge.v1.CaseService/UpdateCase", map[string][]string{"org": {"caseworker"}})
				caseID := uuid.NewString()
				if r%2 == 0 {
					if err := rec.Read(ctx, "org", caseID, []dataclass.Class{"contact"}); err != nil {
						errs <- err
						return
					}
					continue
				}
				tx, err := pool.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				if err := rec.InTx(ctx, tx, "org", caseID, []dataclass.Class{"care"}); err != nil {
					errs <- err
					return
				}
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond) // a transaction that takes a while
				if rng.IntN(5) == 0 {
					err = tx.Rollback(ctx)
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	stopOther()
	<-otherDone
	if err := rec.Flush(ctxTimeout(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	events := countEvents(t, pool, "true")
	var linked, distinct int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT event_id) FROM audit_chain`).Scan(&linked, &distinct); err != nil {
		t.Fatal(err)
	}
	if events < writers*rounds/2 || linked != events || distinct != events {
		t.Fatalf("events %d, chain entries %d (%d distinct): every committed event must be linked once", events, linked, distinct)
	}
	res := verifyAll(t, pool)
	if !res.Intact || res.Checked != int64(events) || res.LastPosition != int64(events) || len(res.LastHash) != 32 {
		t.Fatalf("Verify = %+v, want intact over %d events", res, events)
	}
}

func TestLongTransactionsEventIsLinkedWhenItCommits(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	ctx := ctxTimeout(t)
	slow := uuid.NewString()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.InTx(callCtx("slow", getCase, nil), tx, "", slow, nil); err != nil {
		t.Fatal(err)
	}
	// Meanwhile others' events are linked, several passes over.
	recordSome(t, pool, rec, 3)
	recordSome(t, pool, rec, 3)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	recordSome(t, pool, rec, 2)
	var pos int64
	if err := pool.QueryRow(ctx, `SELECT c.position FROM audit_chain c JOIN audit_events e ON e.id = c.event_id WHERE e.case_id = $1`, slow).Scan(&pos); err != nil {
		t.Fatalf("the long transaction's event was never linked: %v", err)
	}
	if res := verifyAll(t, pool); !res.Intact || res.Checked != 9 {
		t.Fatalf("Verify = %+v", res)
	}
}

func TestVerifyFindsTheTamperedEvent(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	cases := recordSome(t, pool, rec, 10)
	if res := verifyAll(t, pool); !res.Intact || res.Checked != 10 {
		t.Fatalf("before tampering: %+v", res)
	}
	ctx := ctxTimeout(t)
	var pos int64
	if err := pool.QueryRow(ctx, `SELECT c.position FROM audit_chain c JOIN audit_events e ON e.id = c.event_id WHERE e.case_id = $1`, cases[6]).Scan(&pos); err != nil {
		t.Fatal(err)
	}

	// Even a superuser's plain UPDATE is refused by the trigger...
	if _, err := pool.Exec(ctx, `UPDATE audit_events SET subject = 'x' WHERE case_id = $1`, cases[6]); err == nil {
		t.Fatal("a superuser updated an audit event without disabling triggers")
	}
	// ...but one who turns triggers off can change the row: the chain shows it.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE audit_events SET subject = 'x' WHERE case_id = $1`, cases[6]); err != nil {
		t.Fatal(err)
	}
	res := verifyAll(t, pool)
	if res.Intact || res.FirstBroken != pos || !strings.Contains(res.Reason, "hash mismatch") || res.Checked != pos-1 || res.LastPosition != pos-1 {
		t.Fatalf("Verify after tampering with position %d = %+v", pos, res)
	}
	// A range after the tampered event is intact on its own.
	if res, err := Verify(ctx, pool, pos+1, 0); err != nil || !res.Intact || res.Checked != 10-pos {
		t.Fatalf("Verify(%d, 0) = %+v, %v", pos+1, res, err)
	}

	// Deleting an event, or a chain entry, is found too.
	if _, err := conn.Exec(ctx, `DELETE FROM audit_events WHERE case_id = $1`, cases[2]); err != nil {
		t.Fatal(err)
	}
	if res := verifyAll(t, pool); res.FirstBroken != 3 || !strings.Contains(res.Reason, "missing") {
		t.Fatalf("Verify after deleting event 3 = %+v", res)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM audit_chain WHERE position = 2`); err != nil {
		t.Fatal(err)
	}
	if res := verifyAll(t, pool); res.FirstBroken != 2 || !strings.Contains(res.Reason, "position 2 is missing") {
		t.Fatalf("Verify after deleting chain position 2 = %+v", res)
	}
	if _, err := conn.Exec(ctx, `UPDATE audit_chain SET prev_hash = '\x00' WHERE position = 1`); err != nil {
		t.Fatal(err)
	}
	if res := verifyAll(t, pool); res.FirstBroken != 1 || !strings.Contains(res.Reason, "link mismatch") {
		t.Fatalf("Verify after changing a link = %+v", res)
	}
}

func TestVerifyRanges(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	ctx := ctxTimeout(t)
	if res, err := Verify(ctx, pool, 0, 0); err != nil || !res.Intact || res.Checked != 0 || res.LastPosition != 0 {
		t.Fatalf("empty chain: %+v, %v", res, err)
	}
	recordSome(t, pool, rec, 7)
	for _, tc := range []struct{ from, to, checked, last int64 }{
		{0, 0, 7, 7}, {1, 7, 7, 7}, {3, 5, 3, 5}, {7, 0, 1, 7}, {2, 100, 6, 7}, {8, 0, 0, 0},
	} {
		res, err := Verify(ctx, pool, tc.from, tc.to)
		if err != nil || !res.Intact || res.Checked != tc.checked || res.LastPosition != tc.last || res.Next != 0 {
			t.Errorf("Verify(%d, %d) = %+v, %v; want %d checked up to %d", tc.from, tc.to, res, err, tc.checked, tc.last)
		}
	}
}

func TestServerRoleCanOnlyInsertAuditRows(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	recordSome(t, pool, rec, 2)
	ctx := ctxTimeout(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = conn.Exec(context.Background(), `RESET ROLE`)
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, `SET ROLE casebridge_app`); err != nil {
		t.Fatal(err)
	}
	denied := func(sql string) {
		t.Helper()
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" ||
			!(strings.Contains(pgErr.Message, "permission denied") || strings.Contains(pgErr.Message, "must be owner")) {
			t.Errorf("%s as casebridge_app: %v, want permission denied", sql, err)
		}
	}
	denied(`UPDATE audit_events SET subject = 'x'`)
	denied(`DELETE FROM audit_events`)
	denied(`TRUNCATE audit_events`)
	denied(`UPDATE audit_chain SET hash = hash`)
	denied(`DELETE FROM audit_chain`)
	denied(`TRUNCATE audit_chain`)
	denied(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_insert_only`)
	denied(`DELETE FROM goose_db_version`)

	// What the server needs works: insert events, link them, read them, and
	// use the other tables.
	ev := Event{ID: uuid.NewString(), Time: time.Now().UTC().Truncate(time.Microsecond), Subject: "app", Method: getCase, Code: "OK"}
	if err := insertEvents(ctx, conn, []Event{ev}); err != nil {
		t.Fatalf("insert as casebridge_app: %v", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ('o1', 'O', 1)`); err != nil {
		t.Fatalf("insert organisation as casebridge_app: %v", err)
	}
	if _, err := conn.Exec(ctx, `UPDATE organizations SET display_name = 'P' WHERE id = 'o1'`); err != nil {
		t.Fatalf("update organisation as casebridge_app: %v", err)
	}
	if res, err := Verify(ctx, conn, 0, 0); err != nil || !res.Intact || res.Checked != 2 {
		t.Fatalf("Verify as casebridge_app: %+v, %v", res, err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_events`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("events seen by casebridge_app: %d, %v", n, err)
	}
}

func TestChainerAndMigrationsWorkAsServerRole(t *testing.T) {
	t.Parallel()
	_, url := testdb.NewWithURL(t)
	ctx := ctxTimeout(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SET ROLE casebridge_app`)
		return err
	}
	app, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	// The server applies migrations at start-up: with none pending, that
	// needs no privilege the role lacks.
	if err := db.Migrate(ctx, app); err != nil {
		t.Fatalf("Migrate as casebridge_app: %v", err)
	}
	rec := startRecorder(t, app, Options{ChainInterval: 10 * time.Millisecond})
	cases := recordSome(t, app, rec, 5)
	if res := verifyAll(t, app); !res.Intact || res.Checked != int64(len(cases)) {
		t.Fatalf("Verify = %+v", res)
	}
}
