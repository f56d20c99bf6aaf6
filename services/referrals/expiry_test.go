package referrals_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestLapsedConsentEndsSharing: when the consent a referral relied on
// expires, the receiver loses the case by itself, as if it had been withdrawn.
func TestLapsedConsentEndsSharing(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) { c.ConsentSweep = 100 * time.Millisecond })
	cw, lw := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	cs, rs := env.Cases(), casebridgev1.NewReferralServiceClient(env.Conn)
	created, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Legal: &casebridgev1.LegalData{ExploitationAccount: "account"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetCase().GetId()
	if _, err := cs.RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: id,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient:  &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"},
		ExpireTime: timestamppb.New(time.Now().Add(1500 * time.Millisecond))}); err != nil {
		t.Fatal(err)
	}
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: id, ToOrganizationId: "legal-b",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: ref.GetReferral().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
		t.Fatalf("while the consent holds the lawyer reads the case: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: id})
		if status.Code(err) == codes.NotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lawyer still reads the case after its consent lapsed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, err := rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: ref.GetReferral().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_REVOKED || got.GetReferral().GetEndReason() != "consent expired" {
		t.Fatalf("referral after the consent lapsed: %v %q", got.GetReferral().GetStatus(), got.GetReferral().GetEndReason())
	}
	var keysLeft int
	if err := env.Pool.QueryRow(cw, `SELECT count(*) FROM case_keys k JOIN organization_keys o USING (key_id)
		WHERE k.case_id = $1 AND o.organization_id = 'legal-b'`, id).Scan(&keysLeft); err != nil || keysLeft != 0 {
		t.Fatalf("legal-b still holds %d wrapped keys of the case (%v)", keysLeft, err)
	}
}
