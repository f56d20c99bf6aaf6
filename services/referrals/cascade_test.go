package referrals_test

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWithdrawConsentCascades: one consent (to legal aid organisations)
// carries referrals to two of them; withdrawing it revokes both at once,
// takes the key from both and rotates it, and tells both.
func TestWithdrawConsentCascades(t *testing.T) {
	w := start(t)
	cw := w.as(caseworker)
	admin := w.as("admin@legal-d")
	if _, err := w.env.Organizations().CreateOrganization(w.as("admin@network"), &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "legal-d", DisplayName: "Legal Aid D", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID, CountryCode: "RS"},
		AdminSubject: "admin@legal-d"}); err != nil {
		t.Fatalf("create legal-d: %v", err)
	}
	const lawyerD = "lawyer@legal-d"
	if _, err := w.env.Organizations().AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "legal-d", Subject: lawyerD,
		Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_LAWYER}}); err != nil {
		t.Fatalf("add lawyer of legal-d: %v", err)
	}

	caseID := w.newCase()
	consentID := w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: legalRep, Decision: granted,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationKind{OrganizationKind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID}})
	// Another consent, and a referral on it, that the withdrawal must not touch.
	w.consentFor(caseID, "cso-c", assistance)
	other := w.refer(caseID, "cso-c", psychosocial, care)
	w.accept(csoWorker, other.GetId())

	refB := w.refer(caseID, "legal-b", legalService, identity, legal)
	refD := w.refer(caseID, "legal-d", legalService, legal)
	w.accept(lawyer, refB.GetId())
	w.accept(lawyerD, refD.GetId())
	watchB, watchD := w.watch(lawyer, ""), w.watch(lawyerD, "")
	for user, class := range map[string]string{lawyer: "identity", lawyerD: "legal"} {
		c, err := w.cs.GetCase(w.as(user), &casebridgev1.GetCaseRequest{Id: caseID})
		if err != nil {
			t.Fatalf("%s reads the case before the withdrawal: %v", user, err)
		}
		if class == "identity" && c.GetCase().GetIdentity() == nil || class == "legal" && c.GetCase().GetLegal() == nil {
			t.Fatalf("%s does not read %s: %v", user, class, c.GetCase())
		}
	}

	before := w.ciphertexts(caseID)
	if _, err := w.cs.WithdrawConsent(cw, &casebridgev1.WithdrawConsentRequest{CaseId: caseID, ConsentId: consentID}); err != nil {
		t.Fatalf("withdraw consent: %v", err)
	}
	for _, r := range []struct{ user, org, id string }{{lawyer, "legal-b", refB.GetId()}, {lawyerD, "legal-d", refD.GetId()}} {
		_, err := w.cs.GetCase(w.as(r.user), &casebridgev1.GetCaseRequest{Id: caseID})
		wantCode(t, err, codes.NotFound)
		if n := w.keyRows(caseID, r.org); n != 0 {
			t.Fatalf("%s still holds %d wrapped keys", r.org, n)
		}
		g, err := w.rs.GetReferral(w.as(r.user), &casebridgev1.GetReferralRequest{Id: r.id})
		if err != nil || g.GetReferral().GetStatus() != statusRevoked || g.GetReferral().GetEndReason() != "consent withdrawn" {
			t.Fatalf("%s's referral after the withdrawal: %v, %v", r.org, g.GetReferral(), err)
		}
	}
	watchB.expect(expected{revokedEv, refB.GetId()})
	watchD.expect(expected{revokedEv, refD.GetId()})

	// The referral on the other consent stands, and cso-c reads under the new key.
	g, err := w.rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: other.GetId()})
	if err != nil || g.GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED {
		t.Fatalf("unrelated referral: %v, %v", g.GetReferral(), err)
	}
	c, err := w.cs.GetCase(w.as(csoWorker), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil || c.GetCase().GetCare().GetHealthNotes() != "Marker-Health-5150" || c.GetCase().GetIdentity() != nil {
		t.Fatalf("cso-c after the re-key: %v, %v", c.GetCase(), err)
	}
	if w.keyRows(caseID, "cso-c") != 1 {
		t.Fatal("cso-c lost its wrapped key")
	}
	after := w.ciphertexts(caseID)
	for k, v := range before {
		if bytes.Equal(after[k], v) {
			t.Fatalf("%s was not re-encrypted under a new key", k)
		}
	}
	w.readsAll(caseID)
}
