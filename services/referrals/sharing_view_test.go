package referrals_test

import (
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestPastPartnerSeesOnlyItsOwnReferrals: legal-b represented the person
// and completed its referral; the person is then referred on to cso-c.
// legal-b still sees the case's coordination view, but only its own
// referral — not where the person is being moved next, pending or
// accepted. The owner sees both, and cso-c, working on the case now, sees
// its own and legal-b's.
func TestPastPartnerSeesOnlyItsOwnReferrals(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	toLegal := w.refer(caseID, "legal-b", legalService, legal)
	acc := w.accept(lawyer, toLegal.GetId())
	if _, err := w.rs.CompleteReferral(w.as(lawyer), &casebridgev1.CompleteReferralRequest{Id: acc.GetId(), Etag: acc.GetEtag()}); err != nil {
		t.Fatalf("complete: %v", err)
	}
	w.consentFor(caseID, "cso-c", assistance)
	toCSO := w.refer(caseID, "cso-c", psychosocial)

	ids := func(user string) []string {
		t.Helper()
		sh, err := w.rs.GetCaseSharing(w.as(user), &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
		if err != nil {
			t.Fatalf("case sharing as %s: %v", user, err)
		}
		var out []string
		for _, r := range sh.GetSharing().GetReferrals() {
			out = append(out, r.GetId())
		}
		return out
	}
	want := func(user string, refs ...string) {
		t.Helper()
		got := ids(user)
		if len(got) != len(refs) {
			t.Fatalf("%s sees referrals %v, want %v", user, got, refs)
		}
		for i := range refs {
			if got[i] != refs[i] {
				t.Fatalf("%s sees referrals %v, want %v", user, got, refs)
			}
		}
	}
	want(lawyer, toLegal.GetId()) // the pending referral to cso-c stays hidden
	want(caseworker, toLegal.GetId(), toCSO.GetId())

	w.accept(csoWorker, toCSO.GetId())
	want(lawyer, toLegal.GetId()) // accepted now, still not legal-b's business
	want(csoWorker, toLegal.GetId(), toCSO.GetId())
}
