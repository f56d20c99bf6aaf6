package transfers_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The demo world's people this package's tests act as: a shelter in Serbia
// hands a case to a CSO in North Macedonia; legal-b is a third
// organisation.
const (
	caseworkerRS = "caseworker@shelter-a"
	supervisorRS = "supervisor@shelter-a"
	caseworkerMK = "caseworker@cso-c"
	lawyerThird  = "lawyer@legal-b"
	auditor      = "auditor@network"
)

func transfersOf(env *servertest.Env) casebridgev1.TransferServiceClient {
	return casebridgev1.NewTransferServiceClient(env.Conn)
}

// newCase opens a shelter-a case with identity and contact data and a care
// note in it, and returns its id.
func newCase(t *testing.T, env *servertest.Env) string {
	t.Helper()
	cw := env.As(t, caseworkerRS)
	c, err := env.Cases().CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Nationality: "MK", Country: "RS", Sex: casebridgev1.Sex_SEX_FEMALE},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-4410"},
		Contact:  &casebridgev1.ContactData{Phone: "+381 11 4410"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetCase().GetId()
	if _, err := env.Cases().AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: "Marker-Note-4410"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// consent records the person's consent of purpose to org on case id.
func consent(t *testing.T, env *servertest.Env, id string, purpose casebridgev1.ConsentPurpose, org string) string {
	t.Helper()
	c, err := env.Cases().RecordConsent(env.As(t, caseworkerRS), &casebridgev1.RecordConsentRequest{CaseId: id, Purpose: purpose,
		Decision:  casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: org}})
	if err != nil {
		t.Fatal(err)
	}
	return c.GetConsent().GetId()
}

// proposed is a fresh shelter-a case offered to cso-c, on the person's consent.
func proposed(t *testing.T, env *servertest.Env) *casebridgev1.Transfer {
	t.Helper()
	id := newCase(t, env)
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	r, err := transfersOf(env).ProposeTransfer(env.As(t, supervisorRS), &casebridgev1.ProposeTransferRequest{
		CaseId: id, ToOrganizationId: "cso-c", RequestId: uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetTransfer()
}

func bg() context.Context { return context.Background() }
