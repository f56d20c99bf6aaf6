package servercli

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// watchFrom opens a referral watch as lawyer@legal-b after cursor and
// returns the stream once the server fixed its starting position, or the
// error the server refused it with.
func watchFrom(t *testing.T, env *servertest.Env, cursor string) (casebridgev1.ReferralService_WatchReferralsClient, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(env.As(t, "lawyer@legal-b"))
	t.Cleanup(cancel)
	s, err := casebridgev1.NewReferralServiceClient(env.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{AfterCursor: cursor})
	if err != nil {
		return nil, err
	}
	if _, err := s.Header(); err != nil {
		return nil, err
	}
	// A refusal arrives as the stream's status, before any header.
	return s, nil
}

// next receives n events, failing after a timeout.
func next(t *testing.T, s casebridgev1.ReferralService_WatchReferralsClient, n int) []*casebridgev1.ReferralEvent {
	t.Helper()
	var out []*casebridgev1.ReferralEvent
	got := make(chan error, 1)
	go func() {
		for len(out) < n {
			r, err := s.Recv()
			if err != nil {
				got <- err
				return
			}
			out = append(out, r.GetEvent())
		}
		got <- nil
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("watch: after %d events: %v", len(out), err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("watch: %d events of %d arrived", len(out), n)
	}
	return out
}

func refusedToStartOver(t *testing.T, what string, err error) {
	t.Helper()
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("%s: %v, want FailedPrecondition", what, err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "start over") {
		t.Fatalf("%s: %q does not tell the client to start over", what, msg)
	}
}

// recvErr is the status a watch stream ends with (its first Recv).
func recvErr(s casebridgev1.ReferralService_WatchReferralsClient, err error) error {
	if err != nil {
		return err
	}
	_, err = s.Recv()
	return err
}

// TestOlderDumpRefusesNewerCursors: a watcher and an auditor hold cursors
// of events made after a backup; the backup is restored and the restored
// server makes new events under the same positions. Their cursors are
// refused with FailedPrecondition (start over) — before the positions
// catch up and after — never resumed past events they did not see; a
// cursor of an event both histories share resumes and misses nothing.
func TestOlderDumpRefusesNewerCursors(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	w, err := watchFrom(t, env, "")
	if err != nil {
		t.Fatal(err)
	}
	caseID := env.ReferredCase(t)
	shared := next(t, w, 2)[1].GetCursor() // accepted: in both histories
	verifyChain(t, env)
	from, keyringFrom := backupOf(t, env.DBURL, env.DataDir)

	// The newer history: events the restore will lose.
	env.ReferredCase(t)
	newer := next(t, w, 2)[1].GetCursor()
	auditor := env.As(t, "auditor@network")
	ac := casebridgev1.NewAuditServiceClient(env.Conn)
	all, err := ac.ListEvents(auditor, &casebridgev1.ListEventsRequest{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := len(all.GetEvents())
	page, err := ac.ListEvents(auditor, &casebridgev1.ListEventsRequest{PageSize: int32(n - 1)})
	if err != nil || page.GetNextPageToken() == "" {
		t.Fatalf("a page token near the chain's end: %v", err)
	}
	token, tokenPos := page.GetNextPageToken(), page.GetEvents()[n-2].GetSequence()
	recorded := verifyChain(t, env) // an auditor's record of the newer history's head

	target := otherDatabase(t, env.DBURL)
	restored := servertest.StartOn(t, target, restoreInto(t, from, keyringFrom, target))
	refusedToStartOver(t, "a newer cursor before the positions catch up", recvErr(watchFrom(t, restored, newer)))

	// The restored history assigns the same positions to other events.
	restored.ReferredCase(t)
	restored.ReferredCase(t)
	refusedToStartOver(t, "a newer cursor once the positions caught up", recvErr(watchFrom(t, restored, newer)))

	resumed, err := watchFrom(t, restored, shared)
	if err != nil {
		t.Fatalf("a cursor both histories share: %v", err)
	}
	if evs := next(t, resumed, 4); evs[0].GetCaseId() == caseID || evs[0].GetType() != casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CREATED {
		t.Fatalf("resumed after the shared cursor with %v, want the restored history's new referrals", evs[0])
	}

	ra := casebridgev1.NewAuditServiceClient(restored.Conn)
	for i := 0; ; i++ {
		v := verifyChain(t, restored)
		if v.GetLastSequence() > tokenPos {
			break
		}
		if i > 20 {
			t.Fatalf("the restored chain stays at %d, the token is at %d", v.GetLastSequence(), tokenPos)
		}
		restored.NewMarkedCase(t)
	}
	_, err = ra.ListEvents(restored.As(t, "auditor@network"), &casebridgev1.ListEventsRequest{PageSize: int32(n - 1), PageToken: token})
	refusedToStartOver(t, "a newer audit page token", err)
	_, err = ra.VerifyChain(restored.As(t, "auditor@network"), &casebridgev1.VerifyChainRequest{
		FromSequence: recorded.GetLastSequence() + 1, PreviousHash: recorded.GetLastHash()})
	refusedToStartOver(t, "verifying on from a hash of the newer history", err)
	// On the server it came from, the token still lists on.
	if _, err := ac.ListEvents(auditor, &casebridgev1.ListEventsRequest{PageSize: int32(n - 1), PageToken: token}); err != nil {
		t.Fatalf("the page token on its own history: %v", err)
	}
	if v, err := ac.VerifyChain(auditor, &casebridgev1.VerifyChainRequest{
		FromSequence: recorded.GetLastSequence() + 1, PreviousHash: recorded.GetLastHash()}); err != nil || !v.GetIntact() {
		t.Fatalf("verifying on from the recorded hash on its own history: %v, %v", v, err)
	}
}
