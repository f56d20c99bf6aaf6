package referrals_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// accessEndsWithin is how soon an open watch must end once its caller's
// access does.
const accessEndsWithin = 5 * time.Second

// endsWith waits for the stream to end and checks why; it returns when.
func (wt *watcher) endsWith(code codes.Code, within time.Duration) time.Time {
	wt.t.Helper()
	for {
		select {
		case e := <-wt.events:
			wt.t.Fatalf("watch of %s delivered %v after its access ended", wt.user, e)
		case <-wt.ended:
			select {
			case e := <-wt.events:
				wt.t.Fatalf("watch of %s delivered %v after its access ended", wt.user, e)
			default:
			}
			servertest.WantCode(wt.t, wt.err, code)
			return time.Now()
		case <-time.After(within):
			wt.t.Fatalf("watch of %s still open %s after its access ended", wt.user, within)
		}
	}
}

// TestWatchEndsWhenMemberRemoved: a member removed from their
// organisation stops receiving its referral events at once, and their open
// watch ends with PermissionDenied within seconds, even while idle.
func TestWatchEndsWhenMemberRemoved(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	w.consentFor(caseID, "legal-b", assistance)

	sup := w.watch(supervisor, "")
	first := w.refer(caseID, "legal-b", legalService, legal)
	sup.expect(expected{created, first.GetId()})

	orgs := w.env.Organizations()
	if _, err := orgs.RemoveMember(w.as("admin@shelter-a"), &casebridgev1.RemoveMemberRequest{
		OrganizationId: "shelter-a", Subject: supervisor}); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	// A change made right after the removal does not reach the removed member.
	w.refer(caseID, "legal-b", psychosocial)
	sup.endsWith(codes.PermissionDenied, accessEndsWithin)
	if d := time.Since(removed); d > accessEndsWithin {
		t.Errorf("the watch ended %s after the removal", d)
	}
	// Reconnecting is refused too.
	ctx, cancel := context.WithTimeout(w.as(supervisor), 10*time.Second)
	defer cancel()
	stream, err := w.rs.WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	servertest.WantCode(t, err, codes.PermissionDenied)

	// An idle watch ends as well: the lawyer loses the lawyer role (a role it
	// opened with), though a role still reading referrals remains.
	law := w.watch(lawyer, "")
	if _, err := w.env.Pool.Exec(context.Background(),
		`UPDATE memberships SET roles = ARRAY['caseworker'] WHERE subject = $1`, lawyer); err != nil {
		t.Fatal(err)
	}
	law.endsWith(codes.PermissionDenied, accessEndsWithin)
}

// TestWatchEndsWhenTokenExpires: a watch opened with a token ends with
// Unauthenticated when the token expires, within seconds and not before.
func TestWatchEndsWhenTokenExpires(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)

	const ttl = 4 * time.Second
	minted := time.Now()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization",
		"Bearer "+w.env.TokenFor(t, lawyer, ttl))
	law := w.watchWith(ctx, lawyer, "")
	ref := w.refer(caseID, "legal-b", legalService, legal)
	law.expect(expected{created, ref.GetId()})

	ended := law.endsWith(codes.Unauthenticated, ttl+accessEndsWithin)
	// Expiry is in whole seconds: the token may expire up to 1s early.
	if d := ended.Sub(minted); d < ttl-time.Second || d > ttl+accessEndsWithin {
		t.Errorf("the watch ended %s after a token valid for %s was minted", d, ttl)
	}
}
