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
// those cases records the read, for the organisation it was read for.
func TestListsRecordEveryCaseTheyReturn(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	var cases []string
	for range 2 {
		id := w.referredCase()
		pr := w.newProceeding(id, criminal())
		if _, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
			StartTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
		}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: id, Claim: &casebridgev1.Claim{Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND}}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, id)
	}
	if r, err := w.ps.ListProceedings(servertest.WithRequestID(lw, "list-proceedings"), &casebridgev1.ListProceedingsRequest{}); err != nil || len(r.GetProceedings()) != 2 {
		t.Fatalf("list proceedings: %v %v", r, err)
	}
	if r, err := w.cc.ListClaims(servertest.WithRequestID(lw, "list-claims"), &casebridgev1.ListClaimsRequest{}); err != nil || len(r.GetClaims()) != 2 {
		t.Fatalf("list claims: %v %v", r, err)
	}
	if r, err := w.ps.ListUpcoming(servertest.WithRequestID(lw, "list-calendar"), &casebridgev1.ListUpcomingRequest{Days: 7}); err != nil || len(r.GetItems()) != 2 {
		t.Fatalf("calendar: %v %v", r, err)
	}
	read := servertest.AuditExpect{Code: "OK", Org: "legal-b"}
	for _, id := range cases {
		tr := w.env.AuditTrail(t, id)
		tr.Check(t, "list-proceedings", casebridgev1.ProceedingService_ListProceedings_FullMethodName, lawyer, read)
		tr.Check(t, "list-claims", casebridgev1.CompensationService_ListClaims_FullMethodName, lawyer, read)
		tr.Check(t, "list-calendar", casebridgev1.ProceedingService_ListUpcoming_FullMethodName, lawyer, read)
	}
}
