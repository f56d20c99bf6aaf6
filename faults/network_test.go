package faults

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestNetworkFaults puts a real TCP proxy between the server and
// PostgreSQL and, under load, adds latency, resets every connection, cuts
// the link and finally makes it half-open (connected, silent). Every call
// honours its deadline, nothing answers Internal, the pool recovers by
// itself, and the caches that listen for NOTIFY (memberships, case keys,
// the referral watch) catch up with what a second replica changed while
// the link was silent.
func TestNetworkFaults(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	px := NewProxy(t, url)
	srv := StartServer(t, serverBin, px.URL)
	// A second replica of the same deployment, on a healthy link: what it
	// changes, srv hears of only through NOTIFY.
	other := StartReplica(t, serverBin, url, srv.DataDir)
	w := NewWorkload(t, srv, Options{AttemptTimeout: 3 * time.Second})
	w.Start()
	loadFor(t, w, 40)

	var recovery time.Duration
	t.Run("latency", func(t *testing.T) {
		px.Add(t, "latency", "latency", `{"latency": 40, "jitter": 20}`)
		loadFor(t, w, 20)
		px.Remove(t, "latency")
	})
	t.Run("reset", func(t *testing.T) {
		px.Add(t, "reset", "reset_peer", `{"timeout": 0}`)
		time.Sleep(3 * time.Second)
		px.Remove(t, "reset")
		recovery = max(recovery, firstAck(t, w, time.Now()))
	})
	t.Run("cut", func(t *testing.T) {
		px.Cut()
		time.Sleep(3 * time.Second)
		ended := time.Now()
		px.Restore(t)
		recovery = max(recovery, firstAck(t, w, ended))
	})
	t.Run("half-open", func(t *testing.T) {
		p := newProbes(t, srv, other, w.Ledger)
		px.Add(t, "silent", "timeout", `{"timeout": 0}`)
		silent := time.Now()
		// A call without a deadline of its own is answered Unavailable once
		// the server's listener has had no answer from PostgreSQL for 5 s
		// (internal/server linkSilentAfter), not after its class timeout
		// (15 s) and the bounded audit write of its failure (10 s), which
		// took 27 s and answered DeadlineExceeded.
		unbounded := make(chan error, 1)
		go func() {
			_, err := casebridgev1.NewCaseServiceClient(srv.Conn).GetCase(srv.As(context.Background(), Caseworker), &casebridgev1.GetCaseRequest{Id: p.revoked})
			unbounded <- err
		}()
		time.Sleep(time.Second)
		p.changeElsewhere(t)
		var err error
		select {
		case err = <-unbounded:
		case <-time.After(time.Minute):
			t.Fatal("a call without a deadline over a silent link: no answer in a minute")
		}
		took := time.Since(silent)
		if took > silentCallBound || status.Code(err) != codes.Unavailable {
			t.Errorf("a call without a deadline over a silent link: %v after %s, want Unavailable within %s", err, took.Round(time.Millisecond), silentCallBound)
		}
		// Longer than every listener's health check.
		time.Sleep(time.Until(silent.Add(20 * time.Second)))
		t.Logf("a call without a deadline over the silent link: %v after %s", err, took.Round(time.Millisecond))
		ended := time.Now()
		px.Remove(t, "silent")
		recovery = max(recovery, firstAck(t, w, ended))
		p.caughtUp(t)
	})
	loadFor(t, w, 40)
	w.Stop()
	clean(t, w)
	report(t, "network: latency, resets, cut link, half-open link (TCP proxy)", Check(t, srv, url, w.Ledger), recovery)
}

// silentCallBound is how soon a call without a deadline over a silent link
// must be answered Unavailable: the server's bound (5 s without an answer
// from PostgreSQL, internal/server linkSilentAfter) and as much again for a
// loaded machine.
const silentCallBound = 10 * time.Second

// probes are the NOTIFY-fed caches' witnesses: a case shared with legal-b
// that the other replica will revoke, a supervisor it will remove from
// shelter-a, and a referral watch on srv that must see the referral it
// will create.
type probes struct {
	srv, other *Server
	ledger     *Ledger
	revoked    string // case whose sharing other revokes
	refID      string
	fresh      string // case other refers afresh
	freshRef   string

	mu     sync.Mutex
	events []string // referral ids the watch delivered
}

func newProbes(t *testing.T, srv, other *Server, l *Ledger) *probes {
	t.Helper()
	p := &probes{srv: srv, other: other, ledger: l}
	wctx, wcancel := context.WithCancel(context.Background())
	t.Cleanup(wcancel)
	// The watch resumes from its cursor whenever the server ends it (as a
	// client does): what must not happen is an event never delivered.
	go func() {
		cursor := ""
		for wctx.Err() == nil {
			stream, err := casebridgev1.NewReferralServiceClient(srv.Conn).WatchReferrals(srv.As(wctx, Lawyer), &casebridgev1.WatchReferralsRequest{AfterCursor: cursor})
			for err == nil {
				var resp *casebridgev1.WatchReferralsResponse
				if resp, err = stream.Recv(); err == nil {
					cursor = resp.GetEvent().GetCursor()
					p.mu.Lock()
					p.events = append(p.events, resp.GetEvent().GetReferral().GetId())
					p.mu.Unlock()
				}
			}
			if wctx.Err() == nil {
				t.Logf("the watch ended (%v); resuming after cursor %q", err, cursor)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	time.Sleep(500 * time.Millisecond) // the watch is open, from now on
	// The watch has a cursor (the events of this share) before the fault.
	p.revoked, p.refID = shareCase(t, other, true)
	p.fresh, _ = shareCase(t, other, false)
	for start := time.Now(); !p.saw(p.refID); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatal("the watch never delivered the probe's referral")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// srv's caches learn the facts before the link goes silent.
	cases := casebridgev1.NewCaseServiceClient(srv.Conn)
	if _, err := cases.GetCase(srv.As(ctx, Lawyer), &casebridgev1.GetCaseRequest{Id: p.revoked}); err != nil {
		t.Fatalf("the receiver reads the shared case: %v", err)
	}
	if _, err := cases.GetCase(srv.As(ctx, "supervisor@shelter-a"), &casebridgev1.GetCaseRequest{Id: p.revoked}); err != nil {
		t.Fatalf("the supervisor reads the case: %v", err)
	}
	return p
}

// changeElsewhere makes, through the other replica, the three changes
// srv's caches hear of only by NOTIFY.
func (p *probes) changeElsewhere(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	refs := casebridgev1.NewReferralServiceClient(p.other.Conn)
	if _, err := refs.RevokeSharing(p.other.As(ctx, Caseworker), &casebridgev1.RevokeSharingRequest{Id: p.refID, Reason: "fault suite"}); err != nil {
		t.Fatalf("revoke sharing: %v", err)
	}
	p.ledger.Revoked(RevokeRec{CaseID: p.revoked, ID: p.refID, Reason: "fault suite"})
	orgs := casebridgev1.NewOrganizationServiceClient(p.other.Conn)
	if _, err := orgs.RemoveMember(p.other.As(ctx, "admin@shelter-a"), &casebridgev1.RemoveMemberRequest{OrganizationId: ownerOrg, Subject: "supervisor@shelter-a"}); err != nil {
		t.Fatalf("remove member: %v", err)
	}
	ref, err := refs.CreateReferral(p.other.As(ctx, Caseworker), &casebridgev1.CreateReferralRequest{
		CaseId: p.fresh, ToOrganizationId: legalOrg, Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL,
		GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY}, RequestId: uuid.NewString(),
	})
	if err != nil {
		t.Fatalf("create referral: %v", err)
	}
	p.freshRef = ref.GetReferral().GetId()
}

// caughtUp requires srv, once the link answers again, to refuse the
// revoked receiver and the removed supervisor and to deliver the new
// referral to the watch, each within 20 s.
func (p *probes) caughtUp(t *testing.T) {
	t.Helper()
	cases := casebridgev1.NewCaseServiceClient(p.srv.Conn)
	refused := func(sub string) func() bool {
		return func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			resp, err := cases.GetCase(p.srv.As(ctx, sub), &casebridgev1.GetCaseRequest{Id: p.revoked})
			if err == nil {
				return resp.GetCase().GetIdentity() == nil
			}
			c := status.Code(err)
			return c == codes.NotFound || c == codes.PermissionDenied
		}
	}
	watched := func() bool { return p.saw(p.freshRef) }
	for what, ok := range map[string]func() bool{
		"the revoked receiver is refused the case":   refused(Lawyer),
		"the removed supervisor is refused the case": refused("supervisor@shelter-a"),
		"the watch delivers the new referral":        watched,
	} {
		start := time.Now()
		for !ok() {
			if time.Since(start) > 20*time.Second {
				t.Errorf("20 s after the link answered again, not yet: %s", what)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("%s after %s", what, time.Since(start).Round(10*time.Millisecond))
	}
}

// shareCase opens a case at shelter-a through srv and, when accept, has
// legal-b accept its legal referral (consent recorded either way); it
// returns the case and the referral.
func shareCase(t *testing.T, srv *Server, accept bool) (caseID, refID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cases := casebridgev1.NewCaseServiceClient(srv.Conn)
	var c *casebridgev1.CreateCaseResponse
	err := admitted(ctx, func() (err error) {
		c, err = cases.CreateCase(srv.As(ctx, Caseworker), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Coded: &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS"}, Identity: &casebridgev1.IdentityData{GivenNames: "Probe"},
		}})
		return err
	})
	if err != nil {
		t.Fatalf("create case: %v", err)
	}
	caseID = c.GetCase().GetId()
	if err := admitted(ctx, func() error {
		_, err := cases.RecordConsent(srv.As(ctx, Caseworker), &casebridgev1.RecordConsentRequest{
			CaseId: caseID, Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION,
			Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED, Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: legalOrg},
		})
		return err
	}); err != nil {
		t.Fatalf("record consent: %v", err)
	}
	if !accept {
		return caseID, ""
	}
	refs := casebridgev1.NewReferralServiceClient(srv.Conn)
	var ref *casebridgev1.CreateReferralResponse
	err = admitted(ctx, func() (err error) {
		ref, err = refs.CreateReferral(srv.As(ctx, Caseworker), &casebridgev1.CreateReferralRequest{
			CaseId: caseID, ToOrganizationId: legalOrg, Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL,
			GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY},
		})
		return err
	})
	if err != nil {
		t.Fatalf("create referral: %v", err)
	}
	if err := admitted(ctx, func() error {
		_, err := refs.AcceptReferral(srv.As(ctx, Lawyer), &casebridgev1.AcceptReferralRequest{Id: ref.GetReferral().GetId()})
		return err
	}); err != nil {
		t.Fatalf("accept referral: %v", err)
	}
	return caseID, ref.GetReferral().GetId()
}

// admitted calls f again while the server refuses it with ResourceExhausted:
// the workload's writers run as the same caseworker, and a probe that meets
// their per-person limit of concurrent writes was refused before it ran, so
// calling it again is safe.
func admitted(ctx context.Context, f func() error) error {
	for {
		err := f()
		if status.Code(err) != codes.ResourceExhausted {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// saw reports whether the watch delivered an event of referral id.
func (p *probes) saw(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.events, id)
}
