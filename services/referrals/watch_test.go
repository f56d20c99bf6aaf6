package referrals_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWatchResumes: a watcher receives events in order; while it is
// disconnected events happen; reconnecting with the cursor of the last
// event it saw delivers exactly what it missed, then live events again.
// Each event names the case by its reference as well as its id, so that a
// person watching reads "SHA-2026-0042", not a UUID.
func TestWatchResumes(t *testing.T) {
	w := start(t)
	cw, lw := w.as(caseworker), w.as(lawyer)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	w.consentFor(caseID, "legal-b", assistance)
	csoWatch := w.watch(csoWorker, "")
	shelterWatch := w.watch(caseworker, "")

	first := w.watch(lawyer, "")
	ref := w.refer(caseID, "legal-b", legalService, legal)
	w.accept(lawyer, ref.GetId())
	seen := first.expect(expected{created, ref.GetId()}, expected{acceptedEv, ref.GetId()})
	if seen[0].GetReferral().GetStatus() != statusPending || seen[0].GetReferral().GetAcceptTime() != nil {
		t.Fatalf("a created event shows the referral as it was then: %v", seen[0].GetReferral())
	}
	if seen[1].GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED || seen[1].GetReferral().GetAcceptTime() == nil {
		t.Fatalf("accepted event: %v", seen[1].GetReferral())
	}
	first.stop()

	// While the lawyer is away: the case moves on, the sharing is revoked,
	// a new referral arrives.
	if _, err := w.cs.StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: caseID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: ref.GetId()}); err != nil {
		t.Fatal(err)
	}
	second := w.refer(caseID, "legal-b", psychosocial)

	resumed := w.watch(lawyer, seen[1].GetCursor())
	missed := resumed.expect(
		expected{caseStatusEv, ref.GetId()},
		expected{revokedEv, ref.GetId()},
		expected{created, second.GetId()},
	)
	if missed[0].GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE || missed[0].GetCaseId() != caseID {
		t.Fatalf("case status event: %v", missed[0])
	}
	for _, e := range append(seen, missed...) {
		if e.GetCaseReference() != ref.GetCaseReference() || e.GetCaseReference() == "" {
			t.Fatalf("event names case %q, want its reference %q: %v", e.GetCaseReference(), ref.GetCaseReference(), e)
		}
	}
	resumed.quiet(300 * time.Millisecond) // nothing twice
	// Live again.
	if _, err := w.rs.DeclineReferral(lw, &casebridgev1.DeclineReferralRequest{Id: second.GetId(), Reason: "no capacity"}); err != nil {
		t.Fatal(err)
	}
	resumed.expect(expected{declinedEv, second.GetId()})
	resumed.stop()

	// Resuming from the first event replays everything after it, in order.
	replay := w.watch(lawyer, seen[0].GetCursor())
	replay.expect(
		expected{acceptedEv, ref.GetId()},
		expected{caseStatusEv, ref.GetId()},
		expected{revokedEv, ref.GetId()},
		expected{created, second.GetId()},
		expected{declinedEv, second.GetId()},
	)
	replay.quiet(200 * time.Millisecond)

	// The referring organisation hears of its referrals, not of its own case's status.
	shelterWatch.expect(
		expected{created, ref.GetId()},
		expected{acceptedEv, ref.GetId()},
		expected{revokedEv, ref.GetId()},
		expected{created, second.GetId()},
		expected{declinedEv, second.GetId()},
	)
	csoWatch.quiet(200 * time.Millisecond)

	// A cursor that is not one is InvalidArgument naming it.
	stream, err := w.rs.WatchReferrals(lw, &casebridgev1.WatchReferralsRequest{AfterCursor: "not-a-cursor"})
	if err == nil {
		_, err = stream.Recv()
	}
	wantField(t, err, "after_cursor")
	stream, err = w.rs.WatchReferrals(lw, &casebridgev1.WatchReferralsRequest{OrganizationId: "cso-c"})
	if err == nil {
		_, err = stream.Recv()
	}
	wantCode(t, err, codes.PermissionDenied)
}

// TestReferralLifecycle: decline, complete, withdraw over gRPC, who may do
// each, the access each leaves, and the case status events of an erasure.
func TestReferralLifecycle(t *testing.T) {
	w := start(t)
	cw, lw, cso := w.as(caseworker), w.as(lawyer), w.as(csoWorker)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	w.consentFor(caseID, "cso-c", assistance)

	// Decline needs the receiver; the sender may not.
	toB := w.refer(caseID, "legal-b", legalService, legal)
	_, err := w.rs.DeclineReferral(cw, &casebridgev1.DeclineReferralRequest{Id: toB.GetId(), Reason: "x"})
	wantCode(t, err, codes.PermissionDenied)
	d, err := w.rs.DeclineReferral(lw, &casebridgev1.DeclineReferralRequest{Id: toB.GetId(), Reason: "outside mandate"})
	if err != nil || d.GetReferral().GetDeclineReason() != "outside mandate" || d.GetReferral().GetDeclineTime() == nil {
		t.Fatalf("decline: %v, %v", d.GetReferral(), err)
	}
	_, err = w.rs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: toB.GetId()})
	wantMessage(t, err, codes.FailedPrecondition, "declined → completed")

	// Withdraw needs the sender; a pending referral ends without access.
	toB = w.refer(caseID, "legal-b", legalService, legal)
	_, err = w.rs.WithdrawReferral(lw, &casebridgev1.WithdrawReferralRequest{Id: toB.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	wd, err := w.rs.WithdrawReferral(cw, &casebridgev1.WithdrawReferralRequest{Id: toB.GetId(), Reason: "sent by mistake"})
	if err != nil || wd.GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_WITHDRAWN || wd.GetReferral().GetEndReason() != "sent by mistake" {
		t.Fatalf("withdraw: %v, %v", wd.GetReferral(), err)
	}

	// Complete ends the receiver's access but keeps it in the coordination view.
	toC := w.refer(caseID, "cso-c", psychosocial, care, contact)
	w.accept(csoWorker, toC.GetId())
	c, err := w.cs.GetCase(cso, &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil || c.GetCase().GetCare() == nil || c.GetCase().GetContact() == nil || c.GetCase().GetIdentity() != nil {
		t.Fatalf("cso-c reads after accept: %v, %v", c.GetCase(), err)
	}
	_, err = w.rs.CompleteReferral(cw, &casebridgev1.CompleteReferralRequest{Id: toC.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	done, err := w.rs.CompleteReferral(cso, &casebridgev1.CompleteReferralRequest{Id: toC.GetId()})
	if err != nil || done.GetReferral().GetCompleteTime() == nil {
		t.Fatalf("complete: %v, %v", done.GetReferral(), err)
	}
	_, err = w.cs.GetCase(cso, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)
	if w.keyRows(caseID, "cso-c") != 0 {
		t.Fatal("cso-c keeps its wrapped key after completing")
	}
	sh, err := w.rs.GetCaseSharing(cso, &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
	// A past partner sees its own referral only, not the case's others.
	if err != nil || len(sh.GetSharing().GetReferrals()) != 1 || sh.GetSharing().GetReferrals()[0].GetId() != toC.GetId() {
		t.Fatalf("cso-c coordination view after completing: %v, %v", sh.GetSharing(), err)
	}
	noSensitive(t, "case sharing", sh)
	w.readsAll(caseID)

	// Statuses filter the lists; pages follow each other without overlap.
	list, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{
		Statuses: []casebridgev1.ReferralStatus{casebridgev1.ReferralStatus_REFERRAL_STATUS_COMPLETED, casebridgev1.ReferralStatus_REFERRAL_STATUS_DECLINED}})
	if err != nil || len(list.GetReferrals()) != 2 {
		t.Fatalf("filtered list: %v, %v", list.GetReferrals(), err)
	}
	seen := map[string]bool{}
	tok := ""
	for page := 0; ; page++ {
		resp, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{PageSize: 1, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetReferrals() {
			if seen[r.GetId()] {
				t.Fatalf("referral %s on two pages", r.GetId())
			}
			seen[r.GetId()] = true
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Fatalf("pages list %d referrals, want 3", len(seen))
	}

	// Erasure: the receiver of an accepted referral hears that the case is
	// closed, then that its referral is revoked.
	toB = w.refer(caseID, "legal-b", legalService, legal)
	w.accept(lawyer, toB.GetId())
	lawyerWatch := w.watch(lawyer, "")
	if _, err := w.cs.CloseCase(w.as(supervisor), &casebridgev1.CloseCaseRequest{Id: caseID}); err != nil {
		t.Fatal(err)
	}
	ev := lawyerWatch.expect(expected{caseStatusEv, toB.GetId()})
	if ev[0].GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_CLOSED {
		t.Fatalf("close event: %v", ev[0])
	}
	if _, err := w.cs.ReopenCase(w.as(supervisor), &casebridgev1.ReopenCaseRequest{Id: caseID}); err != nil {
		t.Fatal(err)
	}
	lawyerWatch.expect(expected{caseStatusEv, toB.GetId()})
	if _, err := w.cs.EraseCase(w.as(supervisor), &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "person asked"}); err != nil {
		t.Fatalf("erase: %v", err)
	}
	ev = lawyerWatch.expect(expected{caseStatusEv, toB.GetId()}, expected{revokedEv, toB.GetId()})
	if ev[0].GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_CLOSED || ev[1].GetReferral().GetStatus() != statusRevoked {
		t.Fatalf("erasure events: %v", ev)
	}
	_, err = w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService})
	wantMessage(t, err, codes.FailedPrecondition, "erased")
}
