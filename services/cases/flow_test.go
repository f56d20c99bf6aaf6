package cases_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	orgAdmin   = "admin@shelter-a"
	lawyer     = "lawyer@legal-b"
	otherCW    = "caseworker@cso-c"
)

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	return servertest.WantCode(t, err, want)
}

func newCase() *casebridgev1.Case {
	return &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{
			Sex: casebridgev1.Sex_SEX_FEMALE, AgeBand: casebridgev1.AgeBand_AGE_BAND_18_20,
			Child: casebridgev1.ChildStatus_CHILD_STATUS_ADULT, Nationality: "UA", Country: "RS",
			IdentificationYear:   2025,
			ExploitationForms:    []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL},
			IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED,
		},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-7731", FamilyNames: "Marker-Family-7731"},
		Contact:  &casebridgev1.ContactData{Phone: "+381-60-0007731", CurrentLocation: "Marker-Location-7731"},
		Care:     &casebridgev1.CareData{HealthNotes: "Marker-Health-7731"},
		Legal:    &casebridgev1.LegalData{ExploitationAccount: "Marker-Account-7731"},
	}
}

// TestIntakeToClosure is the caseworker's whole flow over gRPC: intake,
// read, update, notes, consent, assistance, suspension, closure and reopening.
func TestIntakeToClosure(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)

	created, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: newCase()})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	c := created.GetCase()
	if c.GetOrganizationId() != "shelter-a" || c.GetStatus() != casebridgev1.CaseStatus_CASE_STATUS_OPEN {
		t.Fatalf("created case: org %q status %v", c.GetOrganizationId(), c.GetStatus())
	}
	if c.GetReference() == "" || c.GetReference()[:4] != "SHA-" {
		t.Fatalf("reference %q, want SHA-YYYY-NNNN", c.GetReference())
	}
	if c.GetAssignedCaseworker() != caseworker {
		t.Fatalf("assigned to %q, want the intake caseworker", c.GetAssignedCaseworker())
	}

	got, err := cs.GetCase(cw, &casebridgev1.GetCaseRequest{Id: c.GetId()})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.GetCase().GetIdentity().GetGivenNames() != "Marker-Given-7731" || got.GetCase().GetCare().GetHealthNotes() != "Marker-Health-7731" {
		t.Fatalf("get did not return the decrypted classes: %v", got.GetCase())
	}
	if len(got.GetCase().GetRedactedClasses()) != 0 {
		t.Fatalf("caseworker sees every class, got redacted %v", got.GetCase().GetRedactedClasses())
	}

	// Field-level update of one class keeps its other fields.
	upd, err := cs.UpdateCase(cw, &casebridgev1.UpdateCaseRequest{
		Case:       &casebridgev1.Case{Id: c.GetId(), Contact: &casebridgev1.ContactData{Phone: "+381-60-1111111"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact.phone", "coded.country"}},
		Etag:       got.GetCase().GetEtag(),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if upd.GetCase().GetContact().GetPhone() != "+381-60-1111111" || upd.GetCase().GetContact().GetCurrentLocation() != "Marker-Location-7731" {
		t.Fatalf("field update lost data: %v", upd.GetCase().GetContact())
	}
	if upd.GetCase().GetCoded().GetCountry() != "" {
		t.Fatalf("coded.country in the mask but absent from the request must be cleared, got %q", upd.GetCase().GetCoded().GetCountry())
	}
	// The old etag is now stale.
	_, err = cs.UpdateCase(cw, &casebridgev1.UpdateCaseRequest{
		Case:       &casebridgev1.Case{Id: c.GetId(), Coded: &casebridgev1.CodedAttributes{Country: "MK"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.country"}},
		Etag:       got.GetCase().GetEtag(),
	})
	wantCode(t, err, codes.Aborted)

	if _, err := cs.AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: c.GetId(), DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: "first care note"}); err != nil {
		t.Fatalf("add note: %v", err)
	}
	if _, err := cs.AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: c.GetId(), DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL, Text: "second, legal"}); err != nil {
		t.Fatalf("add note: %v", err)
	}
	notes, err := cs.ListNotes(cw, &casebridgev1.ListNotesRequest{CaseId: c.GetId()})
	if err != nil {
		t.Fatalf("list notes: %v", err)
	}
	if len(notes.GetNotes()) != 2 || notes.GetNotes()[0].GetText() != "second, legal" {
		t.Fatalf("notes newest first, got %v", notes.GetNotes())
	}

	consent, err := cs.RecordConsent(cw, &casebridgev1.RecordConsentRequest{
		CaseId: c.GetId(), Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION,
		Decision:  casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"},
	})
	if err != nil {
		t.Fatalf("record consent: %v", err)
	}
	if consent.GetConsent().GetState() != casebridgev1.ConsentState_CONSENT_STATE_ACTIVE {
		t.Fatalf("consent state %v", consent.GetConsent().GetState())
	}

	step := func(name string, call func() (*casebridgev1.Case, error), want casebridgev1.CaseStatus) {
		t.Helper()
		c, err := call()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.GetStatus() != want {
			t.Fatalf("%s: status %v, want %v", name, c.GetStatus(), want)
		}
	}
	id := c.GetId()
	step("start assistance", func() (*casebridgev1.Case, error) {
		r, err := cs.StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: id})
		return r.GetCase(), err
	}, casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE)
	step("suspend", func() (*casebridgev1.Case, error) {
		r, err := cs.SuspendCase(cw, &casebridgev1.SuspendCaseRequest{Id: id, Reason: "left the shelter"})
		return r.GetCase(), err
	}, casebridgev1.CaseStatus_CASE_STATUS_SUSPENDED)
	step("resume", func() (*casebridgev1.Case, error) {
		r, err := cs.StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: id})
		return r.GetCase(), err
	}, casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE)

	// Closing is a supervisor's decision.
	_, err = cs.CloseCase(cw, &casebridgev1.CloseCaseRequest{Id: id})
	wantCode(t, err, codes.PermissionDenied)
	sv := env.As(t, supervisor)
	step("close", func() (*casebridgev1.Case, error) {
		r, err := cs.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: id, Reason: "reintegrated"})
		return r.GetCase(), err
	}, casebridgev1.CaseStatus_CASE_STATUS_CLOSED)
	_, err = cs.SuspendCase(sv, &casebridgev1.SuspendCaseRequest{Id: id})
	st := wantCode(t, err, codes.FailedPrecondition)
	if want := "closed → suspended"; !strings.Contains(st.Message(), want) {
		t.Fatalf("illegal transition message %q must name both states (%q)", st.Message(), want)
	}
	step("reopen", func() (*casebridgev1.Case, error) {
		r, err := cs.ReopenCase(sv, &casebridgev1.ReopenCaseRequest{Id: id, Reason: "returned"})
		return r.GetCase(), err
	}, casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE)

	// Another organisation sees nothing, not even that the case exists.
	other := env.As(t, otherCW)
	_, err = cs.GetCase(other, &casebridgev1.GetCaseRequest{Id: id})
	wantCode(t, err, codes.NotFound)
	_, err = cs.ListNotes(other, &casebridgev1.ListNotesRequest{CaseId: id})
	wantCode(t, err, codes.NotFound)
	list, err := cs.ListCases(other, &casebridgev1.ListCasesRequest{})
	if err != nil {
		t.Fatalf("list as cso-c: %v", err)
	}
	if len(list.GetCases()) != 0 {
		t.Fatalf("cso-c lists %d cases of shelter-a", len(list.GetCases()))
	}
	// An org admin of the same organisation has no business reading cases.
	_, err = cs.GetCase(env.As(t, orgAdmin), &casebridgev1.GetCaseRequest{Id: id})
	wantCode(t, err, codes.PermissionDenied)
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0))
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func fieldMask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
