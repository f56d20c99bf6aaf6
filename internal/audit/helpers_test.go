package audit

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/requestid"
)

const getCase = "/casebridge.v1.CaseService/GetCase"

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startRecorder returns a started recorder over pool, closed when t ends.
func startRecorder(t testing.TB, pool *pgxpool.Pool, opts Options) *Recorder {
	t.Helper()
	r := NewRecorder(pool, quietLog(), opts)
	ctx, cancel := context.WithCancel(context.Background())
	r.Start(ctx)
	t.Cleanup(func() {
		r.Close()
		cancel()
	})
	return r
}

// callCtx is the context a handler sees: authenticated, with a request id,
// the principal the authorization interceptor resolved, and the audit call
// the interceptor started.
func callCtx(subject, method string, memberships map[string][]string) context.Context {
	ctx := authn.WithCaller(context.Background(), authn.Caller{Subject: subject})
	ctx = requestid.With(ctx, "req-"+uuid.NewString()[:8])
	ctx = StartCall(ctx, method)
	if memberships != nil {
		ctx = authz.WithPrincipal(ctx, authz.Principal{Subject: subject, Memberships: memberships})
	}
	return ctx
}

func mustExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func countEvents(t testing.TB, pool *pgxpool.Pool, where string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatalf("count events: %v", err)
	}
	return n
}

// storedEvent reads one event back by id.
func storedEvent(t testing.TB, pool *pgxpool.Pool, id string) (Event, bool) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
SELECT id::text, event_time, subject, organization_id, roles, method,
       COALESCE(case_id::text, ''), classes, code, request_id
FROM audit_events WHERE id = $1`, id)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return Event{}, false
	}
	var e Event
	if err := rows.Scan(&e.ID, &e.Time, &e.Subject, &e.OrgID, &e.Roles, &e.Method, &e.CaseID, &e.Classes, &e.Code, &e.RequestID); err != nil {
		t.Fatalf("scan event: %v", err)
	}
	return e, true
}

// eventsOfRequest returns the events recorded with request id rid, oldest first.
func eventsOfRequest(t testing.TB, pool *pgxpool.Pool, rid string) []Event {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
SELECT id::text, event_time, subject, organization_id, roles, method,
       COALESCE(case_id::text, ''), classes, code, request_id
FROM audit_events WHERE request_id = $1 ORDER BY seq`, rid)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Time, &e.Subject, &e.OrgID, &e.Roles, &e.Method, &e.CaseID, &e.Classes, &e.Code, &e.RequestID); err != nil {
			t.Fatalf("scan event: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
