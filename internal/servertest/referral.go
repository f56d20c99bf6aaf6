package servertest

import (
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Refer shares caseID of shelter-a with legal-b through the real flow — the
// person's consent (as caseworker@shelter-a), the referral for service with
// classes, and acceptance by lawyer@legal-b — and returns the referral.
func (e *Env) Refer(t testing.TB, caseID string, service casebridgev1.ServiceKind, classes ...casebridgev1.DataClass) *casebridgev1.Referral {
	t.Helper()
	return e.ReferTo(t, caseID, "legal-b", "lawyer@legal-b", service, classes...)
}

// ReferTo is Refer to organisation org, whose member acceptor accepts.
func (e *Env) ReferTo(t testing.TB, caseID, org, acceptor string, service casebridgev1.ServiceKind, classes ...casebridgev1.DataClass) *casebridgev1.Referral {
	t.Helper()
	cw := e.As(t, "caseworker@shelter-a")
	purpose := casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
	if service == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
		purpose = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
	}
	if _, err := e.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{
		CaseId: caseID, Purpose: purpose, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: org},
	}); err != nil {
		t.Fatalf("servertest: record consent: %v", err)
	}
	rs := casebridgev1.NewReferralServiceClient(e.Conn)
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{
		CaseId: caseID, ToOrganizationId: org, Service: service, GrantedClasses: classes,
	})
	if err != nil {
		t.Fatalf("servertest: create referral: %v", err)
	}
	accepted, err := rs.AcceptReferral(e.As(t, acceptor), &casebridgev1.AcceptReferralRequest{Id: ref.GetReferral().GetId()})
	if err != nil {
		t.Fatalf("servertest: accept referral: %v", err)
	}
	return accepted.GetReferral()
}
