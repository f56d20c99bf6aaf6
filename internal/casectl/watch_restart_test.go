package casectl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWatchWithACursorOfAnotherHistory: 'referrals watch --after' with a
// cursor the server's event stream does not hold (here, one of another
// server's database, as after restoring an earlier backup) stops at once,
// tells the user to start over and how, and offers no cursor to resume.
func TestWatchWithACursorOfAnotherHistory(t *testing.T) {
	other := servertest.Start(t)
	ctx, cancel := context.WithTimeout(other.As(t, "lawyer@legal-b"), 20*time.Second)
	defer cancel()
	stream, err := casebridgev1.NewReferralServiceClient(other.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	other.ReferredCase(t)
	ev, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}

	s := newSession(t)
	s.login("lawyer@legal-b")
	o := s.run("", false, "referrals", "watch", "--after", ev.GetEvent().GetCursor())
	if o.code != 1 || !strings.Contains(o.stderr, "Start over: run 'casectl referrals watch' without --after") ||
		strings.Contains(o.stderr, "To resume from here") {
		t.Fatalf("watch with a cursor of another history: %+v", o)
	}
}

// TestVerifyFromAHashOfAnotherHistory: 'audit verify --previous-hash'
// with a hash the log does not hold before --from (a record of another
// history) is refused, telling the auditor to start over; a hash that is
// not one is a usage error.
func TestVerifyFromAHashOfAnotherHistory(t *testing.T) {
	s := newSession(t)
	s.login("auditor@network")
	o := s.run("", false, "audit", "verify", "--from", "2", "--previous-hash", strings.Repeat("00", 32))
	if o.code != 1 || !strings.Contains(o.stderr, "Start over: run 'casectl audit verify' without --from and --previous-hash") {
		t.Fatalf("verify on from a hash of another history: %+v", o)
	}
	if o := s.run("", false, "audit", "verify", "--from", "2", "--previous-hash", "abc"); o.code != 2 {
		t.Fatalf("a previous hash that is not one: %+v", o)
	}
}
