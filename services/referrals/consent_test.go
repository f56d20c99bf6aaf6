package referrals_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr/reason"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestConsentRequired: a referral needs an active consent that covers the
// receiver and the purpose; otherwise FailedPrecondition says which.
func TestConsentRequired(t *testing.T) {
	w := start(t)
	cw := w.as(caseworker)
	caseID := w.newCase()
	create := func(to string, svc casebridgev1.ServiceKind, consentID string) error {
		_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{
			CaseId: caseID, ToOrganizationId: to, Service: svc, ConsentId: consentID})
		return err
	}

	// No consent at all: the message names the consent that is missing.
	wantMessage(t, create("legal-b", legalService, ""), codes.FailedPrecondition,
		"missing consent", "legal representation", "legal-b", "legal aid")
	wantReason(t, create("legal-b", legalService, ""), reason.ConsentMissing, "")

	// A consent for another purpose, another organisation or kind, a
	// refusal or an expired consent does not do either.
	assistanceB := w.consentFor(caseID, "legal-b", assistance)
	w.consentFor(caseID, "cso-c", legalRep)
	w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: legalRep, Decision: granted,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationKind{OrganizationKind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_CSO}})
	w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: legalRep, Decision: refused,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"}})
	expired := w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: legalRep, Decision: granted,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"},
		GivenTime: past(48 * time.Hour), ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	// The API takes no expiry in the past: let an hour pass in the database.
	if _, err := w.env.Pool.Exec(t.Context(), `UPDATE consents SET expire_time = now() - interval '1 hour' WHERE id = $1`, expired); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, create("legal-b", legalService, ""), codes.FailedPrecondition, "missing consent", "legal representation", "legal-b")

	// Naming one of them says what is wrong with it.
	wantMessage(t, create("legal-b", legalService, assistanceB), codes.FailedPrecondition,
		assistanceB, "is for assistance, not legal representation")
	wantMessage(t, create("legal-b", legalService, expired), codes.FailedPrecondition, expired, "has expired")
	wantMessage(t, create("legal-b", legalService, uuid.NewString()), codes.FailedPrecondition, "missing consent")
	// Each refusal carries its reason, for clients to word it.
	wantReason(t, create("legal-b", legalService, assistanceB), reason.ConsentNotCovering, assistanceB)
	wantReason(t, create("legal-b", legalService, expired), reason.ConsentExpired, expired)

	// The assistance consent covers another service to legal-b.
	if err := create("legal-b", psychosocial, ""); err != nil {
		t.Fatalf("psychosocial referral under the assistance consent: %v", err)
	}
	// A consent naming the receiver's kind covers it too.
	byKind := w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: legalRep, Decision: granted,
		Recipient:  &casebridgev1.RecordConsentRequest_OrganizationKind{OrganizationKind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
		ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour))})
	ref := w.refer(caseID, "legal-b", legalService, legal)
	if ref.GetConsentId() != byKind {
		t.Fatalf("referral relies on consent %s, want the one naming legal aid organisations %s", ref.GetConsentId(), byKind)
	}

	// Withdrawn: no new referral, and the pending one is revoked.
	if _, err := w.cs.WithdrawConsent(cw, &casebridgev1.WithdrawConsentRequest{CaseId: caseID, ConsentId: byKind}); err != nil {
		t.Fatalf("withdraw consent: %v", err)
	}
	wantMessage(t, create("legal-b", legalService, byKind), codes.FailedPrecondition, byKind, "was withdrawn")
	wantReason(t, create("legal-b", legalService, byKind), reason.ConsentWithdrawn, byKind)
	g, err := w.rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: ref.GetId()})
	if err != nil || g.GetReferral().GetStatus() != statusRevoked || g.GetReferral().GetEndReason() != "consent withdrawn" {
		t.Fatalf("pending referral after its consent was withdrawn: %v, %v", g.GetReferral(), err)
	}
	_, err = w.rs.AcceptReferral(w.as(lawyer), &casebridgev1.AcceptReferralRequest{Id: ref.GetId()})
	wantMessage(t, err, codes.FailedPrecondition, "revoked → accepted")
}

// TestCreateIsIdempotent: a retried create returns the first referral; a
// second open referral for the same service to the same receiver is refused.
func TestCreateIsIdempotent(t *testing.T) {
	w := start(t)
	cw := w.as(caseworker)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	req := &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService,
		GrantedClasses: []casebridgev1.DataClass{legal}, RequestId: uuid.NewString()}
	first, err := w.rs.CreateReferral(cw, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.rs.CreateReferral(cw, req)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if again.GetReferral().GetId() != first.GetReferral().GetId() {
		t.Fatalf("retry made referral %s, first was %s", again.GetReferral().GetId(), first.GetReferral().GetId())
	}
	req.RequestId = uuid.NewString()
	_, err = w.rs.CreateReferral(cw, req)
	wantCode(t, err, codes.AlreadyExists)
	var n int
	if err := w.env.Pool.QueryRow(t.Context(), `SELECT count(*) FROM referrals WHERE case_id = $1`, caseID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d referrals stored, want 1 (%v)", n, err)
	}
	// Only the owner refers: the receiver cannot refer the case onwards.
	w.accept(lawyer, first.GetReferral().GetId())
	_, err = w.rs.CreateReferral(w.as(lawyer), &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "cso-c", Service: psychosocial})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.rs.CreateReferral(w.as(csoWorker), &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: psychosocial})
	wantCode(t, err, codes.NotFound)
}

// wantReason checks that err is FailedPrecondition with code in its
// google.rpc.ErrorInfo, naming consentID (when not empty) in its metadata.
func wantReason(t *testing.T, err error, code, consentID string) {
	t.Helper()
	st := status.Convert(err)
	got, meta := reason.Of(st)
	if st.Code() != codes.FailedPrecondition || got != code {
		t.Errorf("refusal %v: reason %q, want FailedPrecondition with %q", err, got, code)
	}
	if consentID != "" && meta["consent_id"] != consentID {
		t.Errorf("refusal %v: consent_id %q, want %s", err, meta["consent_id"], consentID)
	}
}
