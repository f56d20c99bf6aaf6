package compensation_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCourtDataOnlyThroughLegalReferral: legal-b represented the person
// (proceeding, hearing, deadline, claim), the representation was
// completed, and the person was then referred to legal-b again for medical
// care granting no class. That referral shares the case — GetCase works —
// but shows nothing of the court: where and when the person must appear is
// not a medical matter.
//
// What it is told leaks least: a proceeding, hearing, deadline or claim
// named by its id is NotFound, word for word as an id that never existed
// (the id confirms nothing); a call naming the case, which legal-b may see,
// is PermissionDenied naming the rule, the same answer whether the case has
// court data or not; lists over all cases and the calendar leave the case
// out.
func TestCourtDataOnlyThroughLegalReferral(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.newCase()
	legalRef := w.env.Refer(t, caseID, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	pr := w.newProceeding(caseID, criminal())
	hearing, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(3 * 24 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
	}})
	if err != nil {
		t.Fatalf("add hearing: %v", err)
	}
	deadline, err := w.ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: pr.GetId(), Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(time.Now().Add(2 * 24 * time.Hour)), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING,
	}})
	if err != nil {
		t.Fatalf("add deadline: %v", err)
	}
	claim, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND}})
	if err != nil {
		t.Fatalf("create claim: %v", err)
	}
	// While legal-b represents the person, its calendar shows the case.
	if cal, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 7}); err != nil || len(cal.GetItems()) != 2 {
		t.Fatalf("calendar during representation: %v %v", cal.GetItems(), err)
	}

	if _, err := w.rs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: legalRef.GetId(), Etag: legalRef.GetEtag()}); err != nil {
		t.Fatalf("complete legal referral: %v", err)
	}
	w.refer(caseID, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL)
	if _, err := w.cs.GetCase(lw, &casebridgev1.GetCaseRequest{Id: caseID}); err != nil {
		t.Fatalf("the medical referral shares the case: %v", err)
	}

	// Named by id: NotFound, as for an id that never existed.
	const ghost = "0b7e5a52-3c1d-4e8f-9a6b-2d4c6e8f0a1b"
	_, err = w.ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	sameNotFound(t, err, pr.GetId(), ghost, func(id string) error {
		_, err := w.ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: id})
		return err
	})
	_, err = w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = w.ps.ListDeadlines(lw, &casebridgev1.ListDeadlinesRequest{ProceedingId: pr.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{Hearing: &casebridgev1.Hearing{
		Id: hearing.GetHearing().GetId(), Outcome: "adjourned",
	}, Etag: "1", UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}}})
	wantCode(t, err, codes.NotFound)
	_, err = w.ps.CancelDeadline(lw, &casebridgev1.CancelDeadlineRequest{Id: deadline.GetDeadline().GetId(), Etag: "1", Reason: "met"})
	wantCode(t, err, codes.NotFound)
	_, err = w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(5 * 24 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
	}})
	wantCode(t, err, codes.NotFound)
	_, err = w.cc.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: claim.GetClaim().GetId()})
	sameNotFound(t, err, claim.GetClaim().GetId(), ghost, func(id string) error {
		_, err := w.cc.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: id})
		return err
	})
	_, err = w.cc.ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: claim.GetClaim().GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: claim.GetClaim().GetId()})
	wantCode(t, err, codes.NotFound)

	// Named by case: PermissionDenied, naming the rule.
	_, err = w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{CaseId: caseID})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
	_, err = w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{CaseId: caseID})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
	_, err = w.ps.ListDeadlines(lw, &casebridgev1.ListDeadlinesRequest{CaseId: caseID})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
	_, err = w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
	_, err = w.cc.ListClaims(lw, &casebridgev1.ListClaimsRequest{CaseId: caseID})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
	_, err = w.cc.GetClaimSummary(lw, &casebridgev1.GetClaimSummaryRequest{CaseId: caseID})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")

	// Over every case: left out.
	if all, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{}); err != nil || len(all.GetProceedings()) != 0 {
		t.Fatalf("all proceedings: %v %v", all.GetProceedings(), err)
	}
	if cal, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 7}); err != nil || len(cal.GetItems()) != 0 {
		t.Fatalf("calendar after representation: %v %v", cal.GetItems(), err)
	}
	if all, err := w.cc.ListClaims(lw, &casebridgev1.ListClaimsRequest{}); err != nil || len(all.GetClaims()) != 0 {
		t.Fatalf("all claims: %v %v", all.GetClaims(), err)
	}

	// The owner still sees its court data.
	cw := w.as(caseworker)
	if all, err := w.ps.ListProceedings(cw, &casebridgev1.ListProceedingsRequest{CaseId: caseID}); err != nil || len(all.GetProceedings()) != 1 {
		t.Fatalf("owner's proceedings: %v %v", all.GetProceedings(), err)
	}
}

// sameNotFound checks that err, the answer for id, is NotFound and reads
// exactly like the answer for ghost, an id that never existed.
func sameNotFound(t *testing.T, err error, id, ghost string, call func(id string) error) {
	t.Helper()
	st := wantCode(t, err, codes.NotFound)
	gst := wantCode(t, call(ghost), codes.NotFound)
	if got, want := st.Message(), strings.ReplaceAll(gst.Message(), ghost, id); got != want {
		t.Fatalf("NotFound for an existing %s reads %q, for a ghost %q", id, got, want)
	}
}
