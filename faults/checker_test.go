package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// recordingT is a testing.TB whose errors are kept, not reported, so that
// a test can see what the checker says of a damaged database.
type recordingT struct {
	*testing.T
	mu   sync.Mutex
	errs []string
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingT) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recordingT) said(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errs {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// TestCheckerSeesDamage damages a database the way a fault could — an
// acknowledged note gone, a hearing changed by a transaction that wrote no
// audit event, a case key gone — and requires the checker to say so: a
// checker that saw nothing would pass every fault.
func TestCheckerSeesDamage(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	srv := StartServer(t, serverBin, url)
	w := NewWorkload(t, srv, Options{Writers: 2})
	w.Start()
	for w.Ledger.Acked() < 40 || len(w.Ledger.Notes) == 0 || len(w.Ledger.Hearings) == 0 {
		loadFor(t, w, 5)
	}
	w.Stop()
	// Two revocations, whose re-keys rewrite their referrals without an
	// audit event of their own: the checker must accept these as re-keys.
	var revoked []string
	for range 2 {
		caseID, refID := shareCase(t, srv, true)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := casebridgev1.NewReferralServiceClient(srv.Conn).RevokeSharing(srv.As(ctx, Caseworker), &casebridgev1.RevokeSharingRequest{Id: refID, Reason: "checker"})
		cancel()
		if err != nil {
			t.Fatalf("revoke: %v", err)
		}
		w.Ledger.Revoked(RevokeRec{CaseID: caseID, ID: refID, Reason: "checker"})
		revoked = append(revoked, refID)
	}
	if r := Check(t, srv, url, w.Ledger); r.Lost() != 0 {
		t.Fatalf("before any damage: %s", r)
	}

	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	note, hearing := w.Ledger.Notes[0], w.Ledger.Hearings[0]
	victim := w.Ledger.Cases[len(w.Ledger.Cases)-1]
	for _, sql := range []string{
		`DELETE FROM case_notes WHERE id = '` + note.ID + `'`,
		`UPDATE hearings SET outcome = 'changed behind the server' WHERE id = '` + hearing.ID + `'`,
		`DELETE FROM case_keys WHERE case_id = '` + victim.ID + `'`,
		// A rewrite of a revoked referral that is no re-key (no new case
		// key in its transaction), and one whose text no longer opens.
		`UPDATE referrals SET texts = texts WHERE id = '` + revoked[0] + `'`,
	} {
		if _, err := db.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	rt := &recordingT{T: t}
	r := Check(rt, srv, url, w.Ledger)
	// (The case whose key row is gone still opens: the server holds its
	// unwrapped key in its cache. The database check sees the row gone.)
	if r.Lost() != 1 {
		t.Errorf("the checker found all but %d writes after a note was deleted", r.Lost())
	}
	for _, want := range []string{"note " + note.ID, "rows of hearings without an audit event", "cases without a case key",
		"revoked referral " + revoked[0] + " rewritten without an audit event by a transaction that did not re-key", "rows of referrals without an audit event"} {
		if !rt.said(want) {
			t.Errorf("the checker did not report %q; it said:\n%s", want, strings.Join(rt.errs, "\n"))
		}
	}
}
