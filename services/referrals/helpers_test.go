package referrals_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	lawyer     = "lawyer@legal-b"
	csoWorker  = "caseworker@cso-c"
)

// Enum shorthands.
var (
	identity = casebridgev1.DataClass_DATA_CLASS_IDENTITY
	contact  = casebridgev1.DataClass_DATA_CLASS_CONTACT
	care     = casebridgev1.DataClass_DATA_CLASS_CARE
	legal    = casebridgev1.DataClass_DATA_CLASS_LEGAL

	legalService  = casebridgev1.ServiceKind_SERVICE_KIND_LEGAL
	psychosocial  = casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL
	legalRep      = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
	assistance    = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
	granted       = casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED
	refused       = casebridgev1.ConsentDecision_CONSENT_DECISION_REFUSED
	statusPending = casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING
)

// world is a running server and its clients.
type world struct {
	t   *testing.T
	env *servertest.Env
	cs  casebridgev1.CaseServiceClient
	rs  casebridgev1.ReferralServiceClient
}

func start(t *testing.T) *world {
	env := servertest.Start(t)
	return &world{t: t, env: env, cs: env.Cases(), rs: casebridgev1.NewReferralServiceClient(env.Conn)}
}

func (w *world) as(user string) context.Context { return w.env.As(w.t, user) }

// newCase opens a case of shelter-a with every sensitive class filled with
// marker values, and a care and a legal note, and returns its id.
func (w *world) newCase() string {
	w.t.Helper()
	cw := w.as(caseworker)
	resp, err := w.cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{
			Sex: casebridgev1.Sex_SEX_FEMALE, AgeBand: casebridgev1.AgeBand_AGE_BAND_18_20,
			Nationality: "UA", Country: "RS", IdentificationYear: 2025,
			ExploitationForms: []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL},
		},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-5150"},
		Contact:  &casebridgev1.ContactData{CurrentLocation: "Marker-Location-5150"},
		Care:     &casebridgev1.CareData{HealthNotes: "Marker-Health-5150"},
		Legal:    &casebridgev1.LegalData{ExploitationAccount: "Marker-Account-5150"},
	}})
	if err != nil {
		w.t.Fatalf("create case: %v", err)
	}
	id := resp.GetCase().GetId()
	for _, n := range []struct {
		class casebridgev1.DataClass
		text  string
	}{{care, "Marker-CareNote-5150"}, {legal, "Marker-LegalNote-5150"}} {
		if _, err := w.cs.AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: id, DataClass: n.class, Text: n.text}); err != nil {
			w.t.Fatalf("add note: %v", err)
		}
	}
	return id
}

// consentFor records a granted consent naming an organisation.
func (w *world) consentFor(caseID, org string, purpose casebridgev1.ConsentPurpose) string {
	w.t.Helper()
	return w.consent(&casebridgev1.RecordConsentRequest{CaseId: caseID, Purpose: purpose, Decision: granted,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: org}})
}

func (w *world) consent(req *casebridgev1.RecordConsentRequest) string {
	w.t.Helper()
	resp, err := w.cs.RecordConsent(w.as(caseworker), req)
	if err != nil {
		w.t.Fatalf("record consent: %v", err)
	}
	return resp.GetConsent().GetId()
}

// refer makes a referral as shelter-a's caseworker and expects success.
func (w *world) refer(caseID, to string, svc casebridgev1.ServiceKind, classes ...casebridgev1.DataClass) *casebridgev1.Referral {
	w.t.Helper()
	resp, err := w.rs.CreateReferral(w.as(caseworker), &casebridgev1.CreateReferralRequest{
		CaseId: caseID, ToOrganizationId: to, Service: svc, GrantedClasses: classes,
		Message: "Please take over, hearing in May",
	})
	if err != nil {
		w.t.Fatalf("create referral to %s: %v", to, err)
	}
	return resp.GetReferral()
}

func (w *world) accept(user, id string) *casebridgev1.Referral {
	w.t.Helper()
	resp, err := w.rs.AcceptReferral(w.as(user), &casebridgev1.AcceptReferralRequest{Id: id})
	if err != nil {
		w.t.Fatalf("accept %s as %s: %v", id, user, err)
	}
	return resp.GetReferral()
}

// keyRows counts the wrapped copies of a case key held by org.
func (w *world) keyRows(caseID, org string) int {
	w.t.Helper()
	var n int
	err := w.env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_keys ck
		JOIN organization_keys ok ON ok.key_id = ck.key_id WHERE ck.case_id = $1 AND ok.organization_id = $2`,
		caseID, org).Scan(&n)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// ciphertexts returns every stored ciphertext of a case, and the owner's
// wrapped key, concatenated per row: a re-key changes every one of them.
func (w *world) ciphertexts(caseID string) map[string][]byte {
	w.t.Helper()
	rows, err := w.env.Pool.Query(context.Background(), `
		SELECT 'class ' || class, ciphertext FROM case_secrets WHERE case_id = $1
		UNION ALL SELECT 'note ' || id, ciphertext FROM case_notes WHERE case_id = $1
		UNION ALL SELECT 'key ' || ok.organization_id, ck.wrapped FROM case_keys ck
			JOIN organization_keys ok ON ok.key_id = ck.key_id WHERE ck.case_id = $1 AND ok.organization_id = 'shelter-a'`, caseID)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			w.t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// readsAll checks that shelter-a's caseworker still reads every class and note.
func (w *world) readsAll(caseID string) {
	w.t.Helper()
	got, err := w.cs.GetCase(w.as(caseworker), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		w.t.Fatalf("owner get case: %v", err)
	}
	c := got.GetCase()
	if c.GetIdentity().GetGivenNames() != "Marker-Given-5150" || c.GetContact().GetCurrentLocation() != "Marker-Location-5150" ||
		c.GetCare().GetHealthNotes() != "Marker-Health-5150" || c.GetLegal().GetExploitationAccount() != "Marker-Account-5150" {
		w.t.Fatalf("owner lost data: %v", c)
	}
	notes, err := w.cs.ListNotes(w.as(caseworker), &casebridgev1.ListNotesRequest{CaseId: caseID})
	if err != nil {
		w.t.Fatalf("owner list notes: %v", err)
	}
	if len(notes.GetNotes()) != 2 || !strings.HasPrefix(notes.GetNotes()[0].GetText(), "Marker-") || !strings.HasPrefix(notes.GetNotes()[1].GetText(), "Marker-") {
		w.t.Fatalf("owner lost notes: %v", notes.GetNotes())
	}
}

// noSensitive fails if a response carries any victim data marker.
func noSensitive(t *testing.T, what string, m proto.Message) {
	t.Helper()
	if s := prototext.Format(m); strings.Contains(s, "Marker-") {
		t.Fatalf("%s carries sensitive data: %s", what, s)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	return servertest.WantCode(t, err, want)
}

// wantMessage asserts a code and that the message mentions each of parts.
func wantMessage(t *testing.T, err error, want codes.Code, parts ...string) {
	t.Helper()
	servertest.WantCode(t, err, want)
	for _, p := range parts {
		servertest.WantMessage(t, err, want, p)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	servertest.WantField(t, err, field)
}

func past(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(time.Now().Add(-d)) }
