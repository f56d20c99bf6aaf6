package referrals_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/referrals"
)

// outboxReads counts the server's statements that read referral events
// for watchers.
type outboxReads struct{ n atomic.Int64 }

func (o *outboxReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "FROM referral_events e JOIN referrals r") {
		o.n.Add(1)
	}
	return ctx
}

func (o *outboxReads) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Many watchers of one organisation cost one read of the outbox per
// wake-up, not one each: 60 streams and 10 events were at least 600 reads
// when every woken watcher queried alone.
func TestWatchersShareOneReadPerWakeUp(t *testing.T) {
	reads := &outboxReads{}
	env := servertest.Start(t, func(c *server.Config) { c.QueryTracer = reads })
	w := &world{t: t, env: env, cs: env.Cases(), rs: casebridgev1.NewReferralServiceClient(env.Conn)}
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	const watchers, rounds = 60, 5 // each round: created and declined, 10 events
	// An event before the watchers' feed starts, for a late watcher to resume from.
	before := w.watch(lawyer, "")
	early := w.refer(caseID, "legal-b", legalService, legal)
	if _, err := w.rs.DeclineReferral(w.as(lawyer), &casebridgev1.DeclineReferralRequest{Id: early.GetId(), Reason: "no capacity"}); err != nil {
		t.Fatal(err)
	}
	earlyCursor := before.expect(expected{created, early.GetId()}, expected{declinedEv, early.GetId()})[0].GetCursor()
	before.stop()
	all := make([]*watcher, watchers)
	for i := range all {
		all[i] = w.watch(lawyer, "")
	}
	// Let the feed's first read (when it started) settle before counting.
	time.Sleep(200 * time.Millisecond)
	reads.n.Store(0)
	var want []expected
	for range rounds {
		ref := w.refer(caseID, "legal-b", legalService, legal)
		if _, err := w.rs.DeclineReferral(w.as(lawyer), &casebridgev1.DeclineReferralRequest{Id: ref.GetId(), Reason: "no capacity"}); err != nil {
			t.Fatal(err)
		}
		want = append(want, expected{created, ref.GetId()}, expected{declinedEv, ref.GetId()})
	}
	var seen []*casebridgev1.ReferralEvent
	for _, wt := range all {
		seen = wt.expect(want...)
	}
	got := reads.n.Load()
	t.Logf("%d watchers, %d events: %d reads of the outbox", watchers, len(want), got)
	if got > int64(2*len(want)) {
		t.Fatalf("%d watchers and %d events cost %d reads of the outbox: want at most one per wake-up (%d)", watchers, len(want), got, 2*len(want))
	}
	// A watcher resuming from before the feed began catches up on its own,
	// and one resuming within it reads the feed; both then go on live.
	late := w.watch(lawyer, earlyCursor)
	late.expect(append([]expected{{declinedEv, early.GetId()}}, want...)...)
	recent := w.watch(lawyer, seen[len(seen)-2].GetCursor())
	recent.expect(want[len(want)-1])
	ref := w.refer(caseID, "legal-b", legalService, legal)
	late.expect(expected{created, ref.GetId()})
	recent.expect(expected{created, ref.GetId()})
	all[0].expect(expected{created, ref.GetId()})
}

// The hub's LISTEN connection comes back when its backend is terminated,
// and events again wake watchers through it (not only through the slow
// safety-net poll).
func TestWatchSurvivesListenerTermination(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	lw := w.watch(lawyer, "")
	first := w.refer(caseID, "legal-b", legalService, legal)
	lw.expect(expected{created, first.GetId()})

	old := w.listenerPID()
	var killed bool
	if err := w.env.Pool.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, old).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listener's backend %d: %v %v", old, killed, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if pid := w.listenerPID(); pid != 0 && pid != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the referral listener did not reconnect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Listening again: the safety-net poll is 30 s, so an event within the
	// watcher's 10 s wait came by notification.
	if _, err := w.rs.DeclineReferral(w.as(lawyer), &casebridgev1.DeclineReferralRequest{Id: first.GetId(), Reason: "no capacity"}); err != nil {
		t.Fatal(err)
	}
	lw.expect(expected{declinedEv, first.GetId()})
}

// listenerPID is the backend of the referral listener (0: none yet).
func (w *world) listenerPID() int {
	w.t.Helper()
	var pid int
	err := w.env.Pool.QueryRow(context.Background(), `SELECT coalesce(max(pid), 0) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, referrals.ListenerApplicationName).Scan(&pid)
	if err != nil {
		w.t.Fatal(err)
	}
	return pid
}
