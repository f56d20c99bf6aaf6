package servertest

import (
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// NewMarkedCase opens a case at shelter-a (as its caseworker) with marker
// strings in the identity and legal classes, for tests that check what
// leaks where.
func (e *Env) NewMarkedCase(t testing.TB) string {
	t.Helper()
	resp, err := e.Cases().CreateCase(e.As(t, "caseworker@shelter-a"), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS"},
		Identity: &casebridgev1.IdentityData{GivenNames: "Marker-Given-5150"},
		Legal:    &casebridgev1.LegalData{ExploitationAccount: "Marker-Account-5150"},
	}})
	if err != nil {
		t.Fatalf("servertest: create case: %v", err)
	}
	return resp.GetCase().GetId()
}

// ReferredCase is a shelter-a case that legal-b represents: referred for
// legal service with the identity and legal classes, and accepted.
func (e *Env) ReferredCase(t testing.TB) string {
	t.Helper()
	id := e.NewMarkedCase(t)
	e.Refer(t, id, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	return id
}

// CriminalProceeding is a criminal proceeding at the Higher Court in Belgrade.
func CriminalProceeding() *casebridgev1.Proceeding {
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

// NewProceeding creates p on caseID as lawyer@legal-b.
func (e *Env) NewProceeding(t testing.TB, caseID string, p *casebridgev1.Proceeding) *casebridgev1.Proceeding {
	t.Helper()
	resp, err := casebridgev1.NewProceedingServiceClient(e.Conn).CreateProceeding(e.As(t, "lawyer@legal-b"),
		&casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: p})
	if err != nil {
		t.Fatalf("servertest: create proceeding: %v", err)
	}
	return resp.GetProceeding()
}
