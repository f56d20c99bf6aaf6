package faults

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestAuditCannotCommit makes the audit log unable to commit under load,
// first slow (a lock holds every insert into audit_events), then failing
// (every insert refused as by a full disk). Meanwhile no read of victim
// data may answer — no decrypted response leaves without its durable audit
// event — and no write may be acknowledged; once the audit log commits
// again the server serves by itself and every acknowledged write is whole.
func TestAuditCannotCommit(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	srv := StartServer(t, serverBin, url)
	w := NewWorkload(t, srv, Options{AttemptTimeout: 2 * time.Second})
	w.Start()
	loadFor(t, w, 40)
	target := w.Ledger.Referrals[0]

	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	var recovery time.Duration
	t.Run("slow", func(t *testing.T) {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		failClosed(t, srv, w, target, codes.DeadlineExceeded)
		released := time.Now()
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		recovery = max(recovery, firstAck(t, w, released))
	})
	t.Run("refused", func(t *testing.T) {
		if _, err := db.Exec(ctx, `
			CREATE FUNCTION faults_disk_full() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
			CREATE TRIGGER faults_disk_full BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION faults_disk_full()`); err != nil {
			t.Fatal(err)
		}
		failClosed(t, srv, w, target, codes.Unavailable)
		released := time.Now()
		if _, err := db.Exec(ctx, `DROP TRIGGER faults_disk_full ON audit_events; DROP FUNCTION faults_disk_full()`); err != nil {
			t.Fatal(err)
		}
		recovery = max(recovery, firstAck(t, w, released))
	})
	loadFor(t, w, 40)
	w.Stop()
	clean(t, w)
	report(t, "audit log cannot commit (locked, then refusing inserts)", Check(t, srv, url, w.Ledger), recovery)
}

// failClosed asserts, for a few seconds of the fault, that sensitive reads
// (the owner's and the receiver's GetCase, ListNotes, ListHearings) answer
// code and no data, and that no write is acknowledged.
func failClosed(t *testing.T, srv *Server, w *Workload, target RefRec, code codes.Code) {
	t.Helper()
	// Writes that had committed before the fault may still be answering.
	time.Sleep(500 * time.Millisecond)
	acked := w.Ledger.Acked()
	cases := casebridgev1.NewCaseServiceClient(srv.Conn)
	procs := casebridgev1.NewProceedingServiceClient(srv.Conn)
	reads := map[string]func(ctx context.Context) (any, error){
		"GetCase (owner)": func(ctx context.Context) (any, error) {
			return cases.GetCase(srv.As(ctx, Caseworker), &casebridgev1.GetCaseRequest{Id: target.CaseID})
		},
		"GetCase (receiver)": func(ctx context.Context) (any, error) {
			return cases.GetCase(srv.As(ctx, Lawyer), &casebridgev1.GetCaseRequest{Id: target.CaseID})
		},
		"ListNotes": func(ctx context.Context) (any, error) {
			return cases.ListNotes(srv.As(ctx, Caseworker), &casebridgev1.ListNotesRequest{CaseId: target.CaseID})
		},
		"ListHearings": func(ctx context.Context) (any, error) {
			return procs.ListHearings(srv.As(ctx, Lawyer), &casebridgev1.ListHearingsRequest{CaseId: target.CaseID})
		},
	}
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
		for name, read := range reads {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			resp, err := read(ctx)
			cancel()
			if err == nil {
				t.Fatalf("%s answered while the audit log could not commit: %v", name, resp)
			}
			// ResourceExhausted is the caller's own rate limit: fast
			// failures make a fast caller.
			if got := status.Code(err); got != code && got != codes.ResourceExhausted {
				t.Errorf("%s: %v, want %s", name, err, code)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := w.Ledger.Acked() - acked; n != 0 {
		t.Errorf("%d writes acknowledged while the audit log could not commit", n)
	}
}

// firstAck waits for the workload's next acknowledged write after since
// and returns how long after since it came.
func firstAck(t *testing.T, w *Workload, since time.Time) time.Duration {
	t.Helper()
	n := w.Ledger.Acked()
	for w.Ledger.Acked() == n {
		if time.Since(since) > time.Minute {
			t.Fatalf("no write acknowledged a minute after the fault ended (%s)", w.Ledger.Codes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(since)
}
