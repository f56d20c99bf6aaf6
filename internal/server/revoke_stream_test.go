package server_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestSignOutEndsTheTokensOpenStreams: a stream opened with a token before
// its sign-out (a referral watch on another replica) ends Unauthenticated
// within a few seconds of the sign-out, and hears nothing that happens
// after it; without this, a copied token's open watch would outlive the
// sign-out until the token expired.
func TestSignOutEndsTheTokensOpenStreams(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartOn(t, a.DBURL, a.DataDir)
	tok := a.Token(t, "lawyer@legal-b")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	stream, err := casebridgev1.NewReferralServiceClient(b.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{OrganizationId: "legal-b"})
	if err != nil {
		t.Fatal(err)
	}
	recv := make(chan error, 16)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				recv <- err
				return
			}
			if m.GetEvent() != nil {
				recv <- nil
			}
		}
	}()
	// The watch works: a referral made now is heard.
	a.ReferredCase(t)
	select {
	case err := <-recv:
		if err != nil {
			t.Fatalf("the watch ended before the sign-out: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the watch heard nothing of a new referral")
	}
	time.Sleep(2 * time.Second) // the rest of that referral's events
	for len(recv) > 0 {
		if err := <-recv; err != nil {
			t.Fatalf("the watch ended before the sign-out: %v", err)
		}
	}

	if _, err := a.Organizations().RevokeCallerToken(ctx, &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER}); err != nil {
		t.Fatal(err)
	}
	signedOut := time.Now()
	time.Sleep(4 * time.Second)
	a.ReferredCase(t)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case err := <-recv:
			if err == nil {
				t.Fatalf("the signed-out token's watch still hears referrals %v after the sign-out", time.Since(signedOut).Round(time.Millisecond))
			}
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("the watch ended %v, want Unauthenticated", err)
			}
			return
		case <-deadline:
			t.Fatalf("the signed-out token's watch is still open %v after the sign-out", time.Since(signedOut).Round(time.Millisecond))
		}
	}
}
