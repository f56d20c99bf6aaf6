package referrals_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestReferralCallsAreAudited: the auditor sees, under the case, who made,
// read and accepted a referral, acting for which organisation, each
// change's event committed by the change's own transaction; a refused
// attempt and a failed transition are on record, and the failed
// transition left no OK event.
func TestReferralCallsAreAudited(t *testing.T) {
	w := start(t)
	id := w.newCase()
	w.consentFor(id, "legal-b", legalRep)

	created, err := w.rs.CreateReferral(servertest.WithRequestID(w.as(caseworker), "ref-create"), &casebridgev1.CreateReferralRequest{
		CaseId: id, ToOrganizationId: "legal-b", Service: legalService, GrantedClasses: []casebridgev1.DataClass{identity, legal},
	})
	if err != nil {
		t.Fatal(err)
	}
	refID := created.GetReferral().GetId()
	if _, err := w.rs.GetReferral(servertest.WithRequestID(w.as(lawyer), "ref-get"), &casebridgev1.GetReferralRequest{Id: refID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.AcceptReferral(servertest.WithRequestID(w.as(lawyer), "ref-accept"), &casebridgev1.AcceptReferralRequest{Id: refID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.GetCaseSharing(servertest.WithRequestID(w.as(lawyer), "ref-sharing"), &casebridgev1.GetCaseSharingRequest{CaseId: id}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c neither sent nor received the referral.
	_, err = w.rs.GetReferral(servertest.WithRequestID(w.as(csoWorker), "ref-get-refused"), &casebridgev1.GetReferralRequest{Id: refID})
	wantCode(t, err, codes.NotFound)
	// Failed: an accepted referral cannot be declined.
	_, err = w.rs.DeclineReferral(servertest.WithRequestID(w.as(lawyer), "ref-decline-accepted"), &casebridgev1.DeclineReferralRequest{Id: refID, Reason: "too late"})
	wantCode(t, err, codes.FailedPrecondition)

	tr := w.env.AuditTrail(t, id)
	ev := tr.Check(t, "ref-create", casebridgev1.ReferralService_CreateReferral_FullMethodName, caseworker, expect("OK", "shelter-a", nil))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM referral_events WHERE referral_id = $1 AND event_type = 1 LIMIT 1`, refID)
	tr.Check(t, "ref-get", casebridgev1.ReferralService_GetReferral_FullMethodName, lawyer, expect("OK", "legal-b", nil))
	ev = tr.Check(t, "ref-accept", casebridgev1.ReferralService_AcceptReferral_FullMethodName, lawyer, expect("OK", "legal-b", nil))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM referral_events WHERE referral_id = $1 AND event_type = 2 LIMIT 1`, refID)
	tr.Check(t, "ref-sharing", casebridgev1.ReferralService_GetCaseSharing_FullMethodName, lawyer, expect("OK", "legal-b", nil))
	tr.Check(t, "ref-get-refused", casebridgev1.ReferralService_GetReferral_FullMethodName, csoWorker, expect("NOT_FOUND", "cso-c", nil))
	tr.Check(t, "ref-decline-accepted", casebridgev1.ReferralService_DeclineReferral_FullMethodName, lawyer, expect("FAILED_PRECONDITION", "legal-b", nil))
}

// expect is one audit event a call must leave.
func expect(code, org string, classes []casebridgev1.DataClass) servertest.AuditExpect {
	return servertest.AuditExpect{Code: code, Org: org, Classes: classes}
}
