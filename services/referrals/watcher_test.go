package referrals_test

import (
	"context"
	"testing"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// watcher is an open WatchReferrals stream whose events arrive on a channel.
type watcher struct {
	t      *testing.T
	user   string
	events chan *casebridgev1.ReferralEvent
	cancel context.CancelFunc
	ended  chan struct{}
	err    error // why the stream ended, once ended is closed
}

// watch opens a stream as user after cursor and waits until the server has
// fixed its starting position (the stream's headers arrive then).
func (w *world) watch(user, cursor string) *watcher {
	w.t.Helper()
	return w.watchWith(w.as(user), user, cursor)
}

// watchWith is watch with the caller's context (and token) given.
func (w *world) watchWith(callCtx context.Context, user, cursor string) *watcher {
	w.t.Helper()
	ctx, cancel := context.WithCancel(callCtx)
	w.t.Cleanup(cancel)
	stream, err := w.rs.WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{AfterCursor: cursor})
	if err != nil {
		w.t.Fatalf("watch as %s: %v", user, err)
	}
	if _, err := stream.Header(); err != nil {
		w.t.Fatalf("watch as %s: %v", user, err)
	}
	wt := &watcher{t: w.t, user: user, events: make(chan *casebridgev1.ReferralEvent, 100), cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(wt.ended)
		for {
			resp, err := stream.Recv()
			if err != nil {
				wt.err = err
				return
			}
			wt.events <- resp.GetEvent()
		}
	}()
	return wt
}

// next returns the next event, failing after a generous wait.
func (wt *watcher) next() *casebridgev1.ReferralEvent {
	wt.t.Helper()
	select {
	case e := <-wt.events:
		return e
	case <-wt.ended:
		wt.t.Fatalf("watch of %s ended while an event was expected", wt.user)
	case <-time.After(10 * time.Second):
		wt.t.Fatalf("watch of %s: no event within 10s", wt.user)
	}
	return nil
}

// expect reads the next events and checks their types and referrals.
func (wt *watcher) expect(want ...expected) []*casebridgev1.ReferralEvent {
	wt.t.Helper()
	var got []*casebridgev1.ReferralEvent
	for i, w := range want {
		e := wt.next()
		if e.GetType() != w.typ || e.GetReferral().GetId() != w.referral {
			wt.t.Fatalf("%s event %d: got %v of referral %s, want %v of %s", wt.user, i, e.GetType(), e.GetReferral().GetId(), w.typ, w.referral)
		}
		if e.GetCursor() == "" || e.GetEventTime() == nil || e.GetCaseId() == "" {
			wt.t.Fatalf("%s event %d is incomplete: %v", wt.user, i, e)
		}
		noSensitive(wt.t, "event", e)
		got = append(got, e)
	}
	return got
}

// quiet checks that no event arrives for d.
func (wt *watcher) quiet(d time.Duration) {
	wt.t.Helper()
	select {
	case e := <-wt.events:
		wt.t.Fatalf("%s received an unexpected event: %v", wt.user, e)
	case <-time.After(d):
	}
}

// stop disconnects the watcher.
func (wt *watcher) stop() {
	wt.cancel()
	<-wt.ended
}

type expected struct {
	typ      casebridgev1.ReferralEventType
	referral string
}

var (
	created       = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CREATED
	acceptedEv    = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_ACCEPTED
	declinedEv    = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_DECLINED
	completedEv   = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_COMPLETED
	withdrawnEv   = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_WITHDRAWN
	revokedEv     = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_REVOKED
	caseStatusEv  = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CASE_STATUS_CHANGED
	statusRevoked = casebridgev1.ReferralStatus_REFERRAL_STATUS_REVOKED
)
