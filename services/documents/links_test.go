package documents_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const identity = casebridgev1.DataClass_DATA_CLASS_IDENTITY

// TestRecordsNameTheirDocuments: a consent carries the ids of the
// documents proving it (the signed form), a hearing and a claim those
// filed with them, oldest first, each only to callers who read the
// document's class: the psychosocial receiver (care only) does not see
// the id of a legal document proving a consent, and the lawyer, once its
// referral grants legal alone, no longer sees the ids of identity
// documents filed with the hearing and the claim; the owner sees all.
func TestRecordsNameTheirDocuments(t *testing.T) {
	env := servertest.Start(t)
	caseID := env.NewMarkedCase(t)
	first := env.Refer(t, caseID, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, identity, legal)
	env.ReferTo(t, caseID, "cso-c", "caseworker@cso-c", casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, care)
	cw, lw := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	ps := casebridgev1.NewProceedingServiceClient(env.Conn)
	comp := casebridgev1.NewCompensationServiceClient(env.Conn)
	proc := env.NewProceeding(t, caseID, servertest.CriminalProceeding())
	h, err := ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
	if err != nil {
		t.Fatal(err)
	}
	hearingID := h.GetHearing().GetId()
	c, err := comp.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type: casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION, AmountClaimed: &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	claimID := c.GetClaim().GetId()
	consent, err := env.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: caseID,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED, Method: "signed form"})
	if err != nil {
		t.Fatal(err)
	}
	consentID := consent.GetConsent().GetId()

	file := func(who string, class casebridgev1.DataClass, set func(*casebridgev1.DocumentMetadata)) string {
		t.Helper()
		md := meta(caseID, class, "filed")
		set(md)
		d, err := servertest.Upload(env.As(t, who), env.Conn, md, bytes.NewReader(pdf(t, 2000)))
		if err != nil {
			t.Fatalf("%s files a %v document: %v", who, class, err)
		}
		return d.GetId()
	}
	hIdentity := file("lawyer@legal-b", identity, func(m *casebridgev1.DocumentMetadata) { m.HearingId = hearingID })
	hLegal := file("lawyer@legal-b", legal, func(m *casebridgev1.DocumentMetadata) { m.HearingId = hearingID })
	cIdentity := file("lawyer@legal-b", identity, func(m *casebridgev1.DocumentMetadata) { m.ClaimId = claimID })
	cLegal := file("lawyer@legal-b", legal, func(m *casebridgev1.DocumentMetadata) { m.ClaimId = claimID })
	pLegal := file("caseworker@shelter-a", legal, func(m *casebridgev1.DocumentMetadata) { m.ConsentId = consentID })
	pCare := file("caseworker@shelter-a", care, func(m *casebridgev1.DocumentMetadata) { m.ConsentId = consentID })
	file("caseworker@shelter-a", legal, func(*casebridgev1.DocumentMetadata) {}) // filed with nothing

	want := func(who, what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s sees documents %v on the %s, want %v", who, got, what, want)
		}
	}
	hearingDocs := func(who string) []string {
		t.Helper()
		hs, err := ps.ListHearings(env.As(t, who), &casebridgev1.ListHearingsRequest{ProceedingId: proc.GetId()})
		if err != nil || len(hs.GetHearings()) != 1 {
			t.Fatalf("%s lists hearings: %v (%v)", who, hs.GetHearings(), err)
		}
		return hs.GetHearings()[0].GetDocumentIds()
	}
	claimDocs := func(who string) []string {
		t.Helper()
		got, err := comp.GetClaim(env.As(t, who), &casebridgev1.GetClaimRequest{Id: claimID})
		if err != nil {
			t.Fatalf("%s gets the claim: %v", who, err)
		}
		list, err := comp.ListClaims(env.As(t, who), &casebridgev1.ListClaimsRequest{CaseId: caseID})
		if err != nil || len(list.GetClaims()) != 1 {
			t.Fatalf("%s lists claims: %v (%v)", who, list.GetClaims(), err)
		}
		want(who, "claim (list)", list.GetClaims()[0].GetDocumentIds(), got.GetClaim().GetDocumentIds())
		return got.GetClaim().GetDocumentIds()
	}
	consentDocs := func(who string) []string {
		t.Helper()
		list, err := env.Cases().ListConsents(env.As(t, who), &casebridgev1.ListConsentsRequest{CaseId: caseID})
		if err != nil {
			t.Fatalf("%s lists consents: %v", who, err)
		}
		var ids []string
		for _, c := range list.GetConsents() {
			if c.GetId() == consentID {
				ids = c.GetDocumentIds()
			} else if len(c.GetDocumentIds()) != 0 {
				t.Errorf("%s sees documents %v on consent %s, which none proves", who, c.GetDocumentIds(), c.GetId())
			}
		}
		return ids
	}

	want("the owner", "claim", claimDocs("caseworker@shelter-a"), []string{cIdentity, cLegal})
	want("the owner", "consent", consentDocs("caseworker@shelter-a"), []string{pLegal, pCare})
	want("the lawyer", "hearing", hearingDocs("lawyer@legal-b"), []string{hIdentity, hLegal})
	want("the lawyer", "claim", claimDocs("lawyer@legal-b"), []string{cIdentity, cLegal})
	want("the care receiver", "consent", consentDocs("caseworker@cso-c"), []string{pCare})

	// The lawyer's sharing narrowed to legal: the identity documents'
	// ids are no longer shown to it, the owner still sees them.
	if _, err := casebridgev1.NewReferralServiceClient(env.Conn).RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: first.GetId()}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	env.Refer(t, caseID, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, legal)
	want("the lawyer granted legal only", "hearing", hearingDocs("lawyer@legal-b"), []string{hLegal})
	want("the lawyer granted legal only", "claim", claimDocs("lawyer@legal-b"), []string{cLegal})
	want("the owner", "claim", claimDocs("caseworker@shelter-a"), []string{cIdentity, cLegal})
}
