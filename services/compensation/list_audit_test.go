package compensation_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestListsRecordEveryCaseTheyReturn: a list of proceedings, of claims or
// the court calendar returns the data of many cases in one answer; each of
// those cases records the read, for the organisation it was read for, with
// the legal class when what it returned of that case carried legal text in
// clear (a court, a docket number, a respondent's name) — even when only a
// later item of the case did — and no class when it carried none.
func TestListsRecordEveryCaseTheyReturn(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	var cases []string
	for i := range 2 {
		id := w.referredCase()
		pr := w.newProceeding(id, criminal())
		if _, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
			StartTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
		}}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// Listed after the claim below (most recently changed first).
			if _, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: id, Claim: &casebridgev1.Claim{
				Type:       casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
				Respondent: &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: "Farm Ltd"},
			}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: id, Claim: &casebridgev1.Claim{Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND}}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, id)
	}
	if r, err := w.ps.ListProceedings(servertest.WithRequestID(lw, "list-proceedings"), &casebridgev1.ListProceedingsRequest{}); err != nil || len(r.GetProceedings()) != 2 {
		t.Fatalf("list proceedings: %v %v", r, err)
	}
	r, err := w.cc.ListClaims(servertest.WithRequestID(lw, "list-claims"), &casebridgev1.ListClaimsRequest{})
	if err != nil || len(r.GetClaims()) != 3 {
		t.Fatalf("list claims: %v %v", r, err)
	}
	if c := r.GetClaims(); c[1].GetCaseId() != cases[0] || c[1].GetRespondent().GetName() != "" || c[2].GetRespondent().GetName() == "" {
		t.Fatalf("claims not in the order this test relies on: %v", c)
	}
	if r, err := w.ps.ListUpcoming(servertest.WithRequestID(lw, "list-calendar"), &casebridgev1.ListUpcomingRequest{Days: 7}); err != nil || len(r.GetItems()) != 2 {
		t.Fatalf("calendar: %v %v", r, err)
	}
	legalRead := servertest.AuditExpect{Code: "OK", Org: "legal-b", Classes: legal}
	plainRead := servertest.AuditExpect{Code: "OK", Org: "legal-b"}
	for i, id := range cases {
		tr := w.env.AuditTrail(t, id)
		tr.Check(t, "list-proceedings", casebridgev1.ProceedingService_ListProceedings_FullMethodName, lawyer, legalRead)
		claimsRead := plainRead // case 1's claim names no respondent
		if i == 0 {
			claimsRead = legalRead
		}
		tr.Check(t, "list-claims", casebridgev1.CompensationService_ListClaims_FullMethodName, lawyer, claimsRead)
		tr.Check(t, "list-calendar", casebridgev1.ProceedingService_ListUpcoming_FullMethodName, lawyer, legalRead)
	}
}
