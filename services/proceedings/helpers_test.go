package proceedings_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	lawyer     = "lawyer@legal-b"
	otherCW    = "caseworker@cso-c"
)

// world is a running server with a client per service used here.
type world struct {
	t   *testing.T
	env *servertest.Env
	cs  casebridgev1.CaseServiceClient
	rs  casebridgev1.ReferralServiceClient
	ps  casebridgev1.ProceedingServiceClient
}

func start(t *testing.T) *world {
	env := servertest.Start(t)
	return &world{t: t, env: env,
		cs: env.Cases(),
		rs: casebridgev1.NewReferralServiceClient(env.Conn),
		ps: casebridgev1.NewProceedingServiceClient(env.Conn),
	}
}

func (w *world) as(subject string) context.Context { return w.env.As(w.t, subject) }

// newCase opens a case at shelter-a with a marker in every class.
func (w *world) newCase() string {
	w.t.Helper()
	resp, err := w.cs.CreateCase(w.as(caseworker), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS"},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-5150"},
		Legal:    &casebridgev1.LegalData{ExploitationAccount: "Marker-Account-5150"},
	}})
	if err != nil {
		w.t.Fatalf("create case: %v", err)
	}
	return resp.GetCase().GetId()
}

// refer shares caseID with legal-b through the real referral flow.
func (w *world) refer(caseID string, service casebridgev1.ServiceKind, classes ...casebridgev1.DataClass) {
	w.t.Helper()
	w.env.Refer(w.t, caseID, service, classes...)
}

// referredCase is a shelter-a case that legal-b represents: identity and
// legal classes shared.
func (w *world) referredCase() string {
	w.t.Helper()
	id := w.newCase()
	w.refer(id, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	return id
}

// criminal is a proceeding at the Higher Court in Belgrade.
func criminal() *casebridgev1.Proceeding {
	return &casebridgev1.Proceeding{
		Kind:                casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL,
		Court:               "Higher Court in Belgrade",
		DocketNumber:        "K 123/2025",
		JurisdictionCountry: "RS",
		CourtTimeZone:       "Europe/Belgrade",
		VictimRole:          casebridgev1.VictimRole_VICTIM_ROLE_INJURED_PARTY,
		Charges:             []string{"CC RS Art. 388(1)"},
		DefendantCount:      2,
	}
}

func (w *world) newProceeding(caseID string, p *casebridgev1.Proceeding) *casebridgev1.Proceeding {
	w.t.Helper()
	resp, err := w.ps.CreateProceeding(w.as(lawyer), &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: p})
	if err != nil {
		w.t.Fatalf("create proceeding: %v", err)
	}
	return resp.GetProceeding()
}

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	return servertest.WantCode(t, err, want)
}

func wantMessage(t *testing.T, err error, want codes.Code, part string) {
	t.Helper()
	servertest.WantMessage(t, err, want, part)
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	servertest.WantField(t, err, field)
}
