package referrals_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestThreeOrganisations is the referral flow over gRPC: shelter-a refers a
// case to legal-b with consent, legal-b sees only the referral until it
// accepts, then exactly the granted classes, until shelter-a revokes the
// sharing and the case key is rotated; cso-c never sees anything.
func TestThreeOrganisations(t *testing.T) {
	w := start(t)
	cw, lw, cso := w.as(caseworker), w.as(lawyer), w.as(csoWorker)
	caseID := w.newCase()
	lawyerWatch := w.watch(lawyer, "")
	csoWatch := w.watch(csoWorker, "")

	consentID := w.consentFor(caseID, "legal-b", legalRep)
	_, err := w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)

	ref := w.refer(caseID, "legal-b", legalService, identity, legal)
	if ref.GetStatus() != statusPending || ref.GetFromOrganizationId() != "shelter-a" || ref.GetToOrganizationId() != "legal-b" ||
		ref.GetPurpose() != legalRep || ref.GetConsentId() != consentID || ref.GetCreatedBy() != caseworker {
		t.Fatalf("created referral: %v", ref)
	}
	if !slices.Equal(ref.GetGrantedClasses(), []casebridgev1.DataClass{identity, legal}) {
		t.Fatalf("granted classes %v", ref.GetGrantedClasses())
	}

	// Pending: the lawyer sees the referral, not the case.
	_, err = w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
	wantCode(t, err, codes.NotFound)
	in, err := w.rs.ListReferrals(lw, &casebridgev1.ListReferralsRequest{Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_INCOMING})
	if err != nil {
		t.Fatalf("lawyer list incoming: %v", err)
	}
	if len(in.GetReferrals()) != 1 {
		t.Fatalf("lawyer lists %d incoming referrals, want 1", len(in.GetReferrals()))
	}
	got := in.GetReferrals()[0]
	if got.GetId() != ref.GetId() || got.GetMessage() != "Please take over, hearing in May" ||
		got.GetCoded().GetNationality() != "UA" || got.GetCoded().GetAgeBand() != casebridgev1.AgeBand_AGE_BAND_18_20 ||
		got.GetCaseReference() == "" {
		t.Fatalf("incoming referral lacks its coded attributes or message: %v", got)
	}
	noSensitive(t, "incoming referral", got)
	out, err := w.rs.ListReferrals(lw, &casebridgev1.ListReferralsRequest{Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING})
	if err != nil || len(out.GetReferrals()) != 0 {
		t.Fatalf("lawyer lists outgoing %v, %v", out.GetReferrals(), err)
	}
	sent, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING})
	if err != nil || len(sent.GetReferrals()) != 1 {
		t.Fatalf("shelter-a lists outgoing %v, %v", sent.GetReferrals(), err)
	}

	// Only the receiver answers a referral.
	_, err = w.rs.AcceptReferral(cw, &casebridgev1.AcceptReferralRequest{Id: ref.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.rs.AcceptReferral(cso, &casebridgev1.AcceptReferralRequest{Id: ref.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: ref.GetId(), Etag: "999"})
	wantCode(t, err, codes.Aborted)

	acc := w.accept(lawyer, ref.GetId())
	if acc.GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED || acc.GetAcceptTime() == nil {
		t.Fatalf("accepted referral: %v", acc)
	}
	_, err = w.rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: ref.GetId()})
	wantMessage(t, err, codes.FailedPrecondition, "accepted → accepted")

	// Accepted: exactly identity and legal, the rest listed redacted.
	c, err := w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		t.Fatalf("lawyer get case after accept: %v", err)
	}
	sc := c.GetCase()
	if sc.GetIdentity().GetGivenNames() != "Marker-Given-5150" || sc.GetLegal().GetExploitationAccount() != "Marker-Account-5150" {
		t.Fatalf("lawyer does not read the granted classes: %v", sc)
	}
	if sc.GetContact() != nil || sc.GetCare() != nil {
		t.Fatalf("lawyer reads classes not granted: contact %v care %v", sc.GetContact(), sc.GetCare())
	}
	if !slices.Equal(sc.GetRedactedClasses(), []casebridgev1.DataClass{contact, care}) {
		t.Fatalf("redacted classes %v, want contact and care", sc.GetRedactedClasses())
	}
	if w.keyRows(caseID, "legal-b") != 1 {
		t.Fatalf("legal-b holds %d wrapped keys after accept, want 1", w.keyRows(caseID, "legal-b"))
	}

	// The coordination view, for both organisations working on the case.
	for _, user := range []string{caseworker, lawyer} {
		sh, err := w.rs.GetCaseSharing(w.as(user), &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
		if err != nil {
			t.Fatalf("case sharing as %s: %v", user, err)
		}
		s := sh.GetSharing()
		if s.GetOwnerOrganizationId() != "shelter-a" || s.GetCaseStatus() != casebridgev1.CaseStatus_CASE_STATUS_OPEN ||
			len(s.GetReferrals()) != 1 || s.GetReferrals()[0].GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED ||
			s.GetReferrals()[0].GetAcceptTime() == nil {
			t.Fatalf("case sharing as %s: %v", user, s)
		}
		noSensitive(t, "case sharing", sh)
	}

	// Revocation: access ends at once and the key is rotated.
	before := w.ciphertexts(caseID)
	rv, err := w.rs.RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: ref.GetId(), Etag: acc.GetEtag(), Reason: "safety concern"})
	if err != nil {
		t.Fatalf("revoke sharing: %v", err)
	}
	if rv.GetReferral().GetStatus() != statusRevoked || rv.GetReferral().GetEndReason() != "safety concern" || rv.GetReferral().GetRevokeTime() == nil {
		t.Fatalf("revoked referral: %v", rv.GetReferral())
	}
	_, err = w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
	wantCode(t, err, codes.NotFound)
	if n := w.keyRows(caseID, "legal-b"); n != 0 {
		t.Fatalf("legal-b still holds %d wrapped keys after revocation", n)
	}
	after := w.ciphertexts(caseID)
	if len(after) != len(before) || len(after) != 4+2+1 {
		t.Fatalf("ciphertexts before %d, after %d, want 7 (4 classes, 2 notes, 1 key)", len(before), len(after))
	}
	for k, v := range before {
		if bytes.Equal(after[k], v) {
			t.Fatalf("%s was not re-encrypted under a new key", k)
		}
	}
	w.readsAll(caseID)
	// The lawyer still sees the referral itself, now revoked.
	g, err := w.rs.GetReferral(lw, &casebridgev1.GetReferralRequest{Id: ref.GetId()})
	if err != nil || g.GetReferral().GetStatus() != statusRevoked {
		t.Fatalf("lawyer get revoked referral: %v, %v", g.GetReferral(), err)
	}

	lawyerWatch.expect(
		expected{created, ref.GetId()},
		expected{acceptedEv, ref.GetId()},
		expected{revokedEv, ref.GetId()},
	)

	// cso-c never sees anything.
	_, err = w.cs.GetCase(cso, &casebridgev1.GetCaseRequest{Id: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.GetReferral(cso, &casebridgev1.GetReferralRequest{Id: ref.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.GetCaseSharing(cso, &casebridgev1.GetCaseSharingRequest{CaseId: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.rs.RevokeSharing(cso, &casebridgev1.RevokeSharingRequest{Id: ref.GetId()})
	wantCode(t, err, codes.NotFound)
	list, err := w.rs.ListReferrals(cso, &casebridgev1.ListReferralsRequest{})
	if err != nil || len(list.GetReferrals()) != 0 {
		t.Fatalf("cso-c lists referrals %v, %v", list.GetReferrals(), err)
	}
	cases, err := w.cs.ListCases(cso, &casebridgev1.ListCasesRequest{})
	if err != nil || len(cases.GetCases()) != 0 {
		t.Fatalf("cso-c lists cases %v, %v", cases.GetCases(), err)
	}
	csoWatch.quiet(300 * time.Millisecond)
}
