package compensation_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func rsd(minor int64) *casebridgev1.Money {
	return &casebridgev1.Money{CurrencyCode: "RSD", AmountMinor: minor}
}

const hearingNotes = "Marker-HearingNotes-7731: she recognised the recruiter in court"

// TestReferredCaseFromIndictmentToPayment is the done-when
// scenario over gRPC: lawyer@legal-b takes a case that shelter-a referred
// for legal representation from indictment through a conviction to an
// awarded and partly paid claim; shelter-a's caseworker follows the status
// and the amounts but never the lawyer's hearing notes; caseworker@cso-c
// learns nothing about the case.
func TestReferredCaseFromIndictmentToPayment(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()

	// Indictment filed: the proceeding is recorded at that stage.
	p := criminal()
	p.Stage = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT
	p.StartDate = "2024-11-04"
	pr := w.newProceeding(caseID, p)
	if pr.GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT || pr.GetResponsibleLawyer() != lawyer {
		t.Fatalf("proceeding: %v", pr)
	}
	// The main hearing, with the lawyer's notes; the next one is ahead.
	held, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Date(2025, 2, 10, 9, 0, 0, 0, time.UTC)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
		Status: casebridgev1.HearingStatus_HEARING_STATUS_HELD, Outcome: "testimony by video link", Notes: hearingNotes,
	}})
	if err != nil {
		t.Fatalf("add held hearing: %v", err)
	}
	next, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(5 * 24 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_SENTENCING, Notes: hearingNotes,
	}})
	if err != nil {
		t.Fatalf("add next hearing: %v", err)
	}
	pr = advance(t, w, pr, casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE)
	out, err := w.ps.RecordOutcome(lw, &casebridgev1.RecordOutcomeRequest{Id: pr.GetId(), Etag: pr.GetEtag(), Outcome: &casebridgev1.ProceedingOutcome{
		Kind: casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, Sentence: "8 years' imprisonment, confiscation of proceeds", DecisionDate: "2025-03-20",
	}})
	if err != nil {
		t.Fatalf("record conviction: %v", err)
	}
	// No appeal: the judgment becomes final.
	out, err = w.ps.RecordOutcome(lw, &casebridgev1.RecordOutcomeRequest{Id: pr.GetId(), Etag: out.GetProceeding().GetEtag(), Outcome: &casebridgev1.ProceedingOutcome{
		Kind: casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, Sentence: "8 years' imprisonment, confiscation of proceeds",
		DecisionDate: "2025-03-20", FinalDate: "2025-04-22",
	}})
	if err != nil {
		t.Fatalf("record final date: %v", err)
	}
	pr = advance(t, w, out.GetProceeding(), casebridgev1.ProceedingStage_PROCEEDING_STAGE_FINAL)

	// The property claim decided in the criminal trial: 500,000.00 RSD
	// claimed, 300,000.00 awarded, 100,000.00 paid so far.
	created, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, RequestId: uuid.NewString(), Claim: &casebridgev1.Claim{
		ProceedingId: pr.GetId(), Type: casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_DEFENDANT, Name: "first defendant"},
		AmountClaimed: rsd(50_000_000),
	}})
	if err != nil {
		t.Fatalf("create claim: %v", err)
	}
	claimID := created.GetClaim().GetId()
	if created.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_DRAFT || created.GetClaim().GetCreatedBy() != lawyer {
		t.Fatalf("created claim: %v", created.GetClaim())
	}
	if _, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: claimID, FiledDate: "2024-12-01"}); err != nil {
		t.Fatalf("file: %v", err)
	}
	awardedResp, err := w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: claimID, Amount: rsd(30_000_000), DecisionDate: "2025-03-20"})
	if err != nil || awardedResp.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_AWARDED {
		t.Fatalf("award: %v %v", awardedResp.GetClaim(), err)
	}
	paidResp, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claimID, Amount: rsd(10_000_000), PaidDate: "2025-05-05"})
	if err != nil || paidResp.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID {
		t.Fatalf("payment: %v %v", paidResp.GetClaim(), err)
	}

	// The lawyer's calendar holds the next hearing, without its notes.
	cal, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 7})
	if err != nil || len(cal.GetItems()) != 1 || cal.GetItems()[0].GetHearing().GetId() != next.GetHearing().GetId() {
		t.Fatalf("lawyer's calendar: %v %v", cal.GetItems(), err)
	}

	// shelter-a's caseworker: status and amounts, never the notes.
	var seen [][]byte
	keep := func(m proto.Message) {
		b, _ := proto.Marshal(m)
		seen = append(seen, b)
	}
	gotP, err := w.ps.GetProceeding(cw, &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	if err != nil {
		t.Fatalf("caseworker reads the proceeding: %v", err)
	}
	keep(gotP)
	if gp := gotP.GetProceeding(); gp.GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_FINAL ||
		gp.GetOutcome().GetKind() != casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION || gp.GetOutcome().GetFinalDate() != "2025-04-22" {
		t.Fatalf("caseworker sees proceeding %v", gp)
	}
	listP, err := w.ps.ListProceedings(cw, &casebridgev1.ListProceedingsRequest{CaseId: caseID})
	if err != nil || len(listP.GetProceedings()) != 1 {
		t.Fatalf("caseworker lists proceedings: %v %v", listP, err)
	}
	keep(listP)
	gotC, err := w.cc.GetClaim(cw, &casebridgev1.GetClaimRequest{Id: claimID})
	if err != nil {
		t.Fatalf("caseworker reads the claim: %v", err)
	}
	keep(gotC)
	if c := gotC.GetClaim(); c.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID ||
		!proto.Equal(c.GetAmountClaimed(), rsd(50_000_000)) || !proto.Equal(c.GetAmountAwarded(), rsd(30_000_000)) ||
		!proto.Equal(c.GetAmountPaid(), rsd(10_000_000)) || c.GetProceedingId() != pr.GetId() {
		t.Fatalf("caseworker sees claim %v", c)
	}
	summary, err := w.cc.GetClaimSummary(cw, &casebridgev1.GetClaimSummaryRequest{CaseId: caseID})
	if err != nil || len(summary.GetTotals()) != 1 {
		t.Fatalf("caseworker summary: %v %v", summary, err)
	}
	keep(summary)
	if tot := summary.GetTotals()[0]; tot.GetCurrencyCode() != "RSD" || tot.GetClaimCount() != 1 ||
		!proto.Equal(tot.GetClaimed(), rsd(50_000_000)) || !proto.Equal(tot.GetAwarded(), rsd(30_000_000)) ||
		!proto.Equal(tot.GetPaid(), rsd(10_000_000)) || !proto.Equal(tot.GetOutstanding(), rsd(20_000_000)) {
		t.Fatalf("summary: %v", tot)
	}
	listC, err := w.cc.ListClaims(cw, &casebridgev1.ListClaimsRequest{CaseId: caseID})
	if err != nil || len(listC.GetClaims()) != 1 {
		t.Fatalf("caseworker lists claims: %v %v", listC, err)
	}
	keep(listC)
	// Hearings (and with them their notes), deadlines and the ledger are the
	// lawyers': the policy refuses them to caseworkers outright.
	_, err = w.ps.ListHearings(cw, &casebridgev1.ListHearingsRequest{CaseId: caseID, View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.ps.ListUpcoming(cw, &casebridgev1.ListUpcomingRequest{})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cc.ListPayments(cw, &casebridgev1.ListPaymentsRequest{ClaimId: claimID})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cc.RecordPayment(cw, &casebridgev1.RecordPaymentRequest{ClaimId: claimID, Amount: rsd(1), PaidDate: "2025-05-06"})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cc.RecordAward(cw, &casebridgev1.RecordAwardRequest{Id: claimID, Amount: rsd(1), DecisionDate: "2025-05-06"})
	wantCode(t, err, codes.PermissionDenied)
	for _, b := range seen {
		if bytes.Contains(b, []byte("Marker-HearingNotes")) {
			t.Fatal("a response to the caseworker carries the hearing notes")
		}
	}
	// The lawyer still reads them.
	full, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{CaseId: caseID, View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	if err != nil || len(full.GetHearings()) != 2 || full.GetHearings()[0].GetId() != held.GetHearing().GetId() || full.GetHearings()[0].GetNotes() != hearingNotes {
		t.Fatalf("lawyer's hearings: %v %v", full.GetHearings(), err)
	}

	// caseworker@cso-c: everything of the case is NotFound; what their role
	// may not do anywhere is PermissionDenied, the same answer as for an id
	// that does not exist — nothing tells the case apart.
	other := w.as(otherCW)
	ghost := uuid.NewString()
	for _, c := range []struct {
		name string
		call func(id string) error
		want codes.Code
	}{
		{"GetProceeding", func(id string) error {
			_, err := w.ps.GetProceeding(other, &casebridgev1.GetProceedingRequest{Id: id})
			return err
		}, codes.NotFound},
		{"ListProceedings", func(id string) error {
			_, err := w.ps.ListProceedings(other, &casebridgev1.ListProceedingsRequest{CaseId: id})
			return err
		}, codes.NotFound},
		{"GetClaim", func(id string) error {
			_, err := w.cc.GetClaim(other, &casebridgev1.GetClaimRequest{Id: id})
			return err
		}, codes.NotFound},
		{"ListClaims", func(id string) error {
			_, err := w.cc.ListClaims(other, &casebridgev1.ListClaimsRequest{CaseId: id})
			return err
		}, codes.NotFound},
		{"GetClaimSummary", func(id string) error {
			_, err := w.cc.GetClaimSummary(other, &casebridgev1.GetClaimSummaryRequest{CaseId: id})
			return err
		}, codes.NotFound},
		{"ListHearings", func(id string) error {
			_, err := w.ps.ListHearings(other, &casebridgev1.ListHearingsRequest{CaseId: id})
			return err
		}, codes.PermissionDenied},
		{"ListDeadlines", func(id string) error {
			_, err := w.ps.ListDeadlines(other, &casebridgev1.ListDeadlinesRequest{ProceedingId: id})
			return err
		}, codes.PermissionDenied},
		{"CreateProceeding", func(id string) error {
			_, err := w.ps.CreateProceeding(other, &casebridgev1.CreateProceedingRequest{CaseId: id, Proceeding: criminal()})
			return err
		}, codes.PermissionDenied},
		{"ListPayments", func(id string) error {
			_, err := w.cc.ListPayments(other, &casebridgev1.ListPaymentsRequest{ClaimId: id})
			return err
		}, codes.PermissionDenied},
	} {
		real := map[string]string{"GetProceeding": pr.GetId(), "GetClaim": claimID, "ListPayments": claimID, "ListDeadlines": pr.GetId()}[c.name]
		if real == "" {
			real = caseID
		}
		wantCode(t, c.call(real), c.want)
		wantCode(t, c.call(ghost), c.want)
	}
	if resp, err := w.ps.ListProceedings(other, &casebridgev1.ListProceedingsRequest{}); err != nil || len(resp.GetProceedings()) != 0 {
		t.Fatalf("cso-c lists proceedings %v %v", resp, err)
	}
	if resp, err := w.cc.ListClaims(other, &casebridgev1.ListClaimsRequest{}); err != nil || len(resp.GetClaims()) != 0 {
		t.Fatalf("cso-c lists claims %v %v", resp, err)
	}
}

func advance(t *testing.T, w *world, pr *casebridgev1.Proceeding, to casebridgev1.ProceedingStage) *casebridgev1.Proceeding {
	t.Helper()
	resp, err := w.ps.AdvanceStage(w.as(lawyer), &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: to, Etag: pr.GetEtag()})
	if err != nil {
		t.Fatalf("advance to %v: %v", to, err)
	}
	return resp.GetProceeding()
}

// TestClaimLifecycle walks the status machine over gRPC, appeals and
// unenforceability included, and checks that illegal moves change nothing.
func TestClaimLifecycle(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	create := func(claimed *casebridgev1.Money) *casebridgev1.Claim {
		t.Helper()
		resp, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
			Type: casebridgev1.ClaimType_CLAIM_TYPE_LABOUR_CLAIM, AmountClaimed: claimed}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetClaim()
	}
	step := func(name string, err error, c *casebridgev1.Claim, want casebridgev1.ClaimStatus) *casebridgev1.Claim {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.GetStatus() != want {
			t.Fatalf("%s: status %v, want %v", name, c.GetStatus(), want)
		}
		return c
	}

	c := create(eur(100_000))
	id := c.GetId()
	_, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: id, Amount: eur(1), PaidDate: "2025-01-01"})
	wantMessage(t, err, codes.FailedPrecondition, "draft")
	_, err = w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: id, Amount: eur(1), DecisionDate: "2025-01-01"})
	wantCode(t, err, codes.FailedPrecondition)
	f, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: id, Etag: c.GetEtag()})
	c = step("file", err, f.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_FILED)
	if c.GetFiledDate() != time.Now().UTC().Format(time.DateOnly) {
		t.Fatalf("filed date defaults to today, got %q", c.GetFiledDate())
	}
	_, err = w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: id})
	wantMessage(t, err, codes.FailedPrecondition, "filed")
	a, err := w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: id, Amount: eur(40_000), DecisionDate: "2025-03-01"})
	c = step("partial award", err, a.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_AWARDED)
	// An amended claim below the award makes it a full one.
	u, err := w.cc.UpdateClaim(lw, &casebridgev1.UpdateClaimRequest{Claim: &casebridgev1.Claim{Id: id, AmountClaimed: eur(40_000)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"amount_claimed"}}, Etag: c.GetEtag()})
	c = step("amend claimed", err, u.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_AWARDED)
	ap, err := w.cc.AppealClaim(lw, &casebridgev1.AppealClaimRequest{Id: id, Reason: "defendant appealed"})
	c = step("appeal", err, ap.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_APPEALED)
	// The award under appeal stays payable.
	pp, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: id, Amount: eur(10_000), PaidDate: "2025-04-01"})
	c = step("pay under appeal", err, pp.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_APPEALED)
	a, err = w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: id, Amount: eur(30_000), DecisionDate: "2025-05-01"})
	c = step("award on appeal", err, a.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID)
	m, err := w.cc.MarkUnenforceable(lw, &casebridgev1.MarkUnenforceableRequest{Id: id, Reason: "defendant insolvent"})
	c = step("unenforceable", err, m.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_UNENFORCEABLE)
	_, err = w.cc.AppealClaim(lw, &casebridgev1.AppealClaimRequest{Id: id})
	wantMessage(t, err, codes.FailedPrecondition, "unenforceable")
	pp, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: id, Amount: eur(5_000), PaidDate: "2025-06-01"})
	c = step("some arrives after all", err, pp.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_UNENFORCEABLE)
	pp, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: id, Amount: eur(15_000), PaidDate: "2025-06-02"})
	c = step("paid in full", err, pp.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_PAID)
	_, err = w.cc.MarkUnenforceable(lw, &casebridgev1.MarkUnenforceableRequest{Id: id, Reason: "x"})
	wantMessage(t, err, codes.FailedPrecondition, "paid")
	if c.GetAmountPaid().GetAmountMinor() != 30_000 || c.GetAmountAwarded().GetAmountMinor() != 30_000 {
		t.Fatalf("final amounts: %v", c)
	}

	// Rejected, appealed, rejected again: nothing awarded, nothing payable.
	r := create(nil)
	rid := r.GetId()
	if _, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: rid}); err != nil {
		t.Fatal(err)
	}
	rj, err := w.cc.RejectClaim(lw, &casebridgev1.RejectClaimRequest{Id: rid, DecisionDate: "2025-02-01", Reason: "time-barred"})
	step("reject", err, rj.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_REJECTED)
	ap, err = w.cc.AppealClaim(lw, &casebridgev1.AppealClaimRequest{Id: rid})
	step("appeal a rejection", err, ap.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_APPEALED)
	_, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: rid, Amount: eur(1), PaidDate: "2025-03-01"})
	wantMessage(t, err, codes.FailedPrecondition, "no award")
	// Its currency comes from the first amount known: the award on appeal.
	a, err = w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: rid, Amount: rsd(9_900), DecisionDate: "2025-04-01"})
	r = step("award on appeal of a rejection", err, a.GetClaim(), casebridgev1.ClaimStatus_CLAIM_STATUS_AWARDED)
	if r.GetAmountPaid().GetCurrencyCode() != "RSD" || r.GetAmountClaimed() != nil {
		t.Fatalf("claim without an amount claimed takes the award's currency: %v", r)
	}
	summary, err := w.cc.GetClaimSummary(lw, &casebridgev1.GetClaimSummaryRequest{CaseId: caseID})
	if err != nil || len(summary.GetTotals()) != 2 || summary.GetTotals()[0].GetCurrencyCode() != "EUR" || summary.GetTotals()[1].GetCurrencyCode() != "RSD" {
		t.Fatalf("one total per currency: %v %v", summary, err)
	}
	if tot := summary.GetTotals()[1]; tot.GetClaimed().GetAmountMinor() != 0 || tot.GetOutstanding().GetAmountMinor() != 9_900 {
		t.Fatalf("RSD totals: %v", tot)
	}

	// A stale etag changes nothing.
	_, err = w.cc.AppealClaim(lw, &casebridgev1.AppealClaimRequest{Id: rid, Etag: "1"})
	wantCode(t, err, codes.Aborted)
	// A medical referral gives legal-b no claims to make.
	medical := w.newCase()
	w.refer(medical, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL)
	_, err = w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: medical, Claim: &casebridgev1.Claim{Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND}})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
}
