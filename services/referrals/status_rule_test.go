package referrals_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestClosedOrErasedCaseIsNotReferred: a case that is closed or erased is
// refused a referral (FailedPrecondition, naming why), a reopened one is
// referred again; the rule is caseaccess's, read from the case's facts.
func TestClosedOrErasedCaseIsNotReferred(t *testing.T) {
	w := start(t)
	sv := w.as(supervisor)
	for _, tc := range []struct {
		name string
		to   func(id string) error
		want codes.Code
		says string
	}{
		{"closed", func(id string) error {
			_, err := w.cs.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: id})
			return err
		}, codes.FailedPrecondition, "is closed"},
		{"reopened", func(id string) error {
			if _, err := w.cs.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: id}); err != nil {
				return err
			}
			_, err := w.cs.ReopenCase(sv, &casebridgev1.ReopenCaseRequest{Id: id, Reason: "new facts"})
			return err
		}, codes.OK, ""},
		{"erased", func(id string) error {
			_, err := w.cs.EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: id, Reason: "the person asked"})
			return err
		}, codes.FailedPrecondition, "is erased"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := w.newCase()
			w.consentFor(id, "legal-b", casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION)
			if err := tc.to(id); err != nil {
				t.Fatal(err)
			}
			_, err := w.rs.CreateReferral(w.as(caseworker), &casebridgev1.CreateReferralRequest{
				CaseId: id, ToOrganizationId: "legal-b", Service: legalService, GrantedClasses: []casebridgev1.DataClass{legal},
			})
			if tc.want == codes.OK {
				if err != nil {
					t.Fatalf("refer a %s case: %v", tc.name, err)
				}
				return
			}
			wantMessage(t, err, tc.want, tc.says)
		})
	}
}
