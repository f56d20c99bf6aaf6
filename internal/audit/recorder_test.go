package audit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/testdb"
)

func TestReadIsDurableWhenItReturns(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	caseID := uuid.NewString()
	ctx := callCtx("caseworker@shelter-a", getCase, map[string][]string{
		"shelter-a": {"caseworker", "supervisor"},
		"legal-b":   {"lawyer"},
	})
	before := time.Now()
	if err := rec.Read(ctx, "shelter-a", caseID, []dataclass.Class{"contact", "identity", "contact"}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	// Another connection sees the row at once: it was committed before Read returned.
	if n := countEvents(t, pool, "case_id = $1", caseID); n != 1 {
		t.Fatalf("events for the case right after Read = %d, want 1", n)
	}
	evs := eventsOfRequest(t, pool, requestid.From(ctx))
	if len(evs) != 1 {
		t.Fatalf("events of the request = %d, want 1", len(evs))
	}
	e := evs[0]
	if e.Subject != "caseworker@shelter-a" || e.OrgID != "shelter-a" || e.Method != getCase || e.CaseID != caseID || e.Code != "OK" {
		t.Errorf("event = %+v", e)
	}
	if !slices.Equal(e.Roles, []string{"caseworker", "supervisor"}) {
		t.Errorf("roles = %v, want the roles held in shelter-a only", e.Roles)
	}
	if !slices.Equal(e.Classes, []string{"identity", "contact"}) {
		t.Errorf("classes = %v, want [identity contact] (canonical order, once each)", e.Classes)
	}
	if e.Time.Before(before.Add(-time.Second)) || e.Time.After(time.Now().Add(time.Second)) {
		t.Errorf("event time %v is not now", e.Time)
	}
}

func TestReadBeforeStartIsStillDurable(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := NewRecorder(pool, quietLog(), Options{ChainInterval: -1})
	caseID := uuid.NewString()
	if err := rec.Read(callCtx("u", getCase, nil), "", caseID, nil); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if n := countEvents(t, pool, "case_id = $1", caseID); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
	rec.Close()
	if err := rec.Read(callCtx("u", getCase, nil), "", caseID, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close = %v, want ErrClosed", err)
	}
}

func TestConcurrentReadsShareCommits(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	const goroutines, each = 100, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				ctx := callCtx("reader", getCase, map[string][]string{"org": {"caseworker"}})
				if err := rec.Read(ctx, "", uuid.NewString(), []dataclass.Class{"care"}); err != nil {
					errs <- err
				}
			}
			_ = g
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Read: %v", err)
	}
	var events, commits int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT xid) FROM audit_events`).Scan(&events, &commits); err != nil {
		t.Fatal(err)
	}
	if events != goroutines*each {
		t.Fatalf("events = %d, want %d", events, goroutines*each)
	}
	if commits >= events {
		t.Errorf("%d reads took %d commits: no group commit happened", events, commits)
	}
	t.Logf("%d read events in %d commits", events, commits)
	// A principal with one organisation acted for it.
	if n := countEvents(t, pool, "organization_id = 'org' AND roles = '{caseworker}'"); n != events {
		t.Errorf("events attributed to the only organisation = %d, want %d", n, events)
	}
}

func TestReadRefusesBadArguments(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	if err := rec.Read(context.Background(), "", uuid.NewString(), nil); !errors.Is(err, ErrNoCall) {
		t.Errorf("Read outside a call = %v, want ErrNoCall", err)
	}
	ctx := callCtx("u", getCase, nil)
	if err := rec.Read(ctx, "", "not-a-uuid", nil); err == nil {
		t.Error("Read accepted a case id that is not a UUID")
	}
	if err := rec.Read(ctx, "", uuid.NewString(), []dataclass.Class{"address"}); err == nil {
		t.Error("Read accepted a class that does not exist (a field name?)")
	}
	if n := countEvents(t, pool, "true"); n != 0 {
		t.Errorf("events = %d, want 0", n)
	}
}

func TestInTxCommitsAndRollsBackWithTheChange(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	rec := startRecorder(t, pool, Options{ChainInterval: -1})
	ctx := ctxTimeout(t)
	call := callCtx("sup", "/casebridge.v1.CaseService/CloseCase", map[string][]string{"shelter-a": {"supervisor"}})

	committed, rolledBack := uuid.NewString(), uuid.NewString()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.InTx(call, tx, "shelter-a", committed, []dataclass.Class{"legal"}); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if n := countEvents(t, pool, "case_id = $1", committed); n != 0 {
		t.Fatalf("event visible before the transaction committed")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, pool, "case_id = $1 AND code = 'OK' AND classes = '{legal}'", committed); n != 1 {
		t.Fatalf("committed change events = %d, want 1", n)
	}

	tx, err = pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.InTx(call, tx, "shelter-a", rolledBack, nil); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, pool, "case_id = $1", rolledBack); n != 0 {
		t.Fatalf("rolled back change left %d events", n)
	}
}

func TestArrayLiteralKeepsShape(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	for _, in := range [][]string{nil, {"a"}, {"a,b", `c"d`, `e\f`, "{g}", "NULL", "", " h "}} {
		var out []string
		if err := pool.QueryRow(context.Background(), `SELECT $1::text::text[]`, arrayLiteral(in)).Scan(&out); err != nil {
			t.Fatalf("%q: %v", arrayLiteral(in), err)
		}
		if len(in) == 0 && len(out) == 0 {
			continue
		}
		if !slices.Equal(out, in) {
			t.Errorf("round trip of %q = %q", in, out)
		}
	}
}
