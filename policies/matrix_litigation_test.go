package policies_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The litigation fixtures are made by the owning organisation's own lawyer
// (a matrix user the test inserts before probing): a lawyer of shelter-a
// does the legal work on shelter-a's cases without any referral, so the
// other organisation (cso-c) has no link to them.
const ownLawyer = "m-lawyer@shelter-a"

func (w *world) proceedings() casebridgev1.ProceedingServiceClient {
	return casebridgev1.NewProceedingServiceClient(w.env.Conn)
}
func (w *world) compensation() casebridgev1.CompensationServiceClient {
	return casebridgev1.NewCompensationServiceClient(w.env.Conn)
}

// mergeProbes adds more probes to probes, refusing a method probed twice.
func mergeProbes(more map[string]probe) {
	for m, p := range more {
		if _, dup := probes[m]; dup {
			panic("matrix: two probes for " + m)
		}
		probes[m] = p
	}
}

func init() { mergeProbes(litigationProbes) }

// newProceeding records a criminal proceeding, at the investigation stage,
// on a fresh open case of shelter-a.
func (w *world) newProceeding() fixture {
	fx := w.newCase("open")
	r, err := w.proceedings().CreateProceeding(w.as(ownLawyer), &casebridgev1.CreateProceedingRequest{CaseId: fx.caseID,
		Proceeding: &casebridgev1.Proceeding{Kind: casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL,
			Court: "Higher Court in Belgrade", DocketNumber: "K " + w.unique() + "/2025", CourtTimeZone: "Europe/Belgrade"}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.proceedingID, fx.etag = r.GetProceeding().GetId(), r.GetProceeding().GetEtag()
	return fx
}

// newHearing is a main hearing scheduled three days ahead (within the
// calendar's default 30 days) in a fresh proceeding.
func (w *world) newHearing() fixture {
	fx := w.newProceeding()
	r, err := w.proceedings().AddHearing(w.as(ownLawyer), &casebridgev1.AddHearingRequest{ProceedingId: fx.proceedingID,
		Hearing: &casebridgev1.Hearing{StartTime: timestamppb.New(time.Now().Add(72 * time.Hour)),
			Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.hearingID, fx.etag = r.GetHearing().GetId(), r.GetHearing().GetEtag()
	return fx
}

// newDeadline is an open filing deadline two days ahead in a fresh proceeding.
func (w *world) newDeadline() fixture {
	fx := w.newProceeding()
	r, err := w.proceedings().AddDeadline(w.as(ownLawyer), &casebridgev1.AddDeadlineRequest{ProceedingId: fx.proceedingID,
		Deadline: &casebridgev1.Deadline{DueTime: timestamppb.New(time.Now().Add(48 * time.Hour)),
			Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING, Description: "file the property claim"}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.deadlineID, fx.etag = r.GetDeadline().GetId(), r.GetDeadline().GetEtag()
	return fx
}

func eur(minor int64) *casebridgev1.Money {
	return &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: minor}
}

// newClaim is a claim of 5,000.00 EUR in a fresh proceeding, in the status
// the call needs: "draft", "filed", "awarded" (in full, nothing paid) or
// "paid_part" (awarded, 1,000.00 EUR paid).
func (w *world) newClaim(status string) fixture {
	fx := w.newProceeding()
	lawyer := w.as(ownLawyer)
	c := w.compensation()
	r, err := c.CreateClaim(lawyer, &casebridgev1.CreateClaimRequest{CaseId: fx.caseID, Claim: &casebridgev1.Claim{
		ProceedingId: fx.proceedingID, Type: casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_DEFENDANT, Name: "Defendant"},
		AmountClaimed: eur(500000)}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.claimID, fx.etag = r.GetClaim().GetId(), r.GetClaim().GetEtag()
	if status == "draft" {
		return fx
	}
	f, err := c.FileClaim(lawyer, &casebridgev1.FileClaimRequest{Id: fx.claimID, FiledDate: "2025-01-15"})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.etag = f.GetClaim().GetEtag()
	if status == "filed" {
		return fx
	}
	a, err := c.RecordAward(lawyer, &casebridgev1.RecordAwardRequest{Id: fx.claimID, Amount: eur(500000), DecisionDate: "2025-03-01"})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.etag = a.GetClaim().GetEtag()
	if status == "awarded" {
		return fx
	}
	p, err := c.RecordPayment(lawyer, &casebridgev1.RecordPaymentRequest{ClaimId: fx.claimID, Amount: eur(100000), PaidDate: "2025-04-01"})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.etag = p.GetClaim().GetEtag()
	return fx
}

func onProceeding(w *world) fixture { return w.newProceeding() }

// onCoVictims is two proceedings of two shelter-a cases, one trial to be.
func onCoVictims(w *world) fixture {
	fx := w.newProceeding()
	fx.coProceedingID = w.newProceeding().proceedingID
	return fx
}
func onHearing(w *world) fixture  { return w.newHearing() }
func onDeadline(w *world) fixture { return w.newDeadline() }
func onClaim(status string) func(w *world) fixture {
	return func(w *world) fixture { return w.newClaim(status) }
}

// notListedElsewhere turns a list that shows another organisation's record
// (id) to a caller outside shelter-a into an error the matrix reports.
func notListedElsewhere(ctx context.Context, what, id string, ids []string) error {
	if strings.HasSuffix(callerOf(ctx), "@shelter-a") {
		return nil
	}
	for _, got := range ids {
		if got == id {
			return status.Error(codes.Internal, fmt.Sprintf("another organisation's %s is listed", what))
		}
	}
	return nil
}

var litigationProbes = map[string]probe{
	// ProceedingService
	"ProceedingService/CreateProceeding": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().CreateProceeding(ctx, &casebridgev1.CreateProceedingRequest{CaseId: fx.caseID,
			Proceeding: &casebridgev1.Proceeding{Kind: casebridgev1.ProceedingKind_PROCEEDING_KIND_CIVIL, CourtTimeZone: "Europe/Belgrade"}})
		return err
	}},
	"ProceedingService/GetProceeding": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().GetProceeding(ctx, &casebridgev1.GetProceedingRequest{Id: fx.proceedingID})
		return err
	}},
	"ProceedingService/ListProceedings": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		resp, err := w.proceedings().ListProceedings(ctx, &casebridgev1.ListProceedingsRequest{PageSize: 500})
		if err != nil {
			return err
		}
		var ids []string
		for _, p := range resp.GetProceedings() {
			ids = append(ids, p.GetId())
		}
		return notListedElsewhere(ctx, "proceeding", fx.proceedingID, ids)
	}},
	"ProceedingService/UpdateProceeding": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().UpdateProceeding(ctx, &casebridgev1.UpdateProceedingRequest{
			Proceeding: &casebridgev1.Proceeding{Id: fx.proceedingID, DefendantCount: 2},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"defendant_count"}}, Etag: fx.etag})
		return err
	}},
	"ProceedingService/AdvanceStage": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().AdvanceStage(ctx, &casebridgev1.AdvanceStageRequest{Id: fx.proceedingID,
			Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT, Etag: fx.etag})
		return err
	}},
	"ProceedingService/RecordOutcome": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		// Decided at the stage the proceeding is at (investigation): dismissed.
		_, err := w.proceedings().RecordOutcome(ctx, &casebridgev1.RecordOutcomeRequest{Id: fx.proceedingID, Etag: fx.etag,
			Outcome: &casebridgev1.ProceedingOutcome{Kind: casebridgev1.OutcomeKind_OUTCOME_KIND_DISMISSAL, DecisionDate: "2025-02-03"}})
		return err
	}},
	"ProceedingService/LinkProceedings": {onCoVictims, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().LinkProceedings(ctx, &casebridgev1.LinkProceedingsRequest{Id: fx.proceedingID, WithId: fx.coProceedingID, Etag: fx.etag})
		return err
	}},
	"ProceedingService/AddHearing": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().AddHearing(ctx, &casebridgev1.AddHearingRequest{ProceedingId: fx.proceedingID,
			Hearing: &casebridgev1.Hearing{StartTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
				Type: casebridgev1.HearingType_HEARING_TYPE_PRELIMINARY}})
		return err
	}},
	"ProceedingService/UpdateHearing": {onHearing, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().UpdateHearing(ctx, &casebridgev1.UpdateHearingRequest{
			Hearing:    &casebridgev1.Hearing{Id: fx.hearingID, Outcome: "adjourned for expert witness"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}}, Etag: fx.etag})
		return err
	}},
	"ProceedingService/CancelHearing": {onHearing, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().CancelHearing(ctx, &casebridgev1.CancelHearingRequest{Id: fx.hearingID, Etag: fx.etag, Reason: "judge ill"})
		return err
	}},
	"ProceedingService/ListHearings": {onHearing, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().ListHearings(ctx, &casebridgev1.ListHearingsRequest{ProceedingId: fx.proceedingID})
		return err
	}},
	"ProceedingService/AddDeadline": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().AddDeadline(ctx, &casebridgev1.AddDeadlineRequest{ProceedingId: fx.proceedingID,
			Deadline: &casebridgev1.Deadline{DueTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
				Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_RESPONSE}})
		return err
	}},
	"ProceedingService/UpdateDeadline": {onDeadline, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().UpdateDeadline(ctx, &casebridgev1.UpdateDeadlineRequest{
			Deadline:   &casebridgev1.Deadline{Id: fx.deadlineID, Status: casebridgev1.DeadlineStatus_DEADLINE_STATUS_MET},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}, Etag: fx.etag})
		return err
	}},
	"ProceedingService/CancelDeadline": {onDeadline, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().CancelDeadline(ctx, &casebridgev1.CancelDeadlineRequest{Id: fx.deadlineID, Etag: fx.etag, Reason: "claim withdrawn"})
		return err
	}},
	"ProceedingService/ListDeadlines": {onDeadline, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.proceedings().ListDeadlines(ctx, &casebridgev1.ListDeadlinesRequest{ProceedingId: fx.proceedingID})
		return err
	}},
	"ProceedingService/ListUpcoming": {onHearing, func(w *world, ctx context.Context, fx fixture) error {
		resp, err := w.proceedings().ListUpcoming(ctx, &casebridgev1.ListUpcomingRequest{PageSize: 500})
		if err != nil {
			return err
		}
		var ids []string
		for _, it := range resp.GetItems() {
			ids = append(ids, it.GetHearing().GetId())
		}
		return notListedElsewhere(ctx, "hearing", fx.hearingID, ids)
	}},

	// CompensationService
	"CompensationService/CreateClaim": {onProceeding, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().CreateClaim(ctx, &casebridgev1.CreateClaimRequest{CaseId: fx.caseID, Claim: &casebridgev1.Claim{
			ProceedingId: fx.proceedingID, Type: casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS, AmountClaimed: eur(250000)}})
		return err
	}},
	"CompensationService/GetClaim": {onClaim("draft"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().GetClaim(ctx, &casebridgev1.GetClaimRequest{Id: fx.claimID})
		return err
	}},
	"CompensationService/ListClaims": {onClaim("draft"), func(w *world, ctx context.Context, fx fixture) error {
		resp, err := w.compensation().ListClaims(ctx, &casebridgev1.ListClaimsRequest{PageSize: 500})
		if err != nil {
			return err
		}
		var ids []string
		for _, c := range resp.GetClaims() {
			ids = append(ids, c.GetId())
		}
		return notListedElsewhere(ctx, "claim", fx.claimID, ids)
	}},
	"CompensationService/UpdateClaim": {onClaim("draft"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().UpdateClaim(ctx, &casebridgev1.UpdateClaimRequest{
			Claim:      &casebridgev1.Claim{Id: fx.claimID, AmountClaimed: eur(600000)},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"amount_claimed"}}, Etag: fx.etag})
		return err
	}},
	"CompensationService/FileClaim": {onClaim("draft"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().FileClaim(ctx, &casebridgev1.FileClaimRequest{Id: fx.claimID, Etag: fx.etag})
		return err
	}},
	"CompensationService/AppealClaim": {onClaim("awarded"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().AppealClaim(ctx, &casebridgev1.AppealClaimRequest{Id: fx.claimID, Etag: fx.etag, Reason: "defendant appealed the award"})
		return err
	}},
	"CompensationService/RecordAward": {onClaim("filed"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().RecordAward(ctx, &casebridgev1.RecordAwardRequest{Id: fx.claimID, Etag: fx.etag,
			Amount: eur(300000), DecisionDate: "2025-03-01"})
		return err
	}},
	"CompensationService/RejectClaim": {onClaim("filed"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().RejectClaim(ctx, &casebridgev1.RejectClaimRequest{Id: fx.claimID, Etag: fx.etag,
			DecisionDate: "2025-03-01", Reason: "time-barred"})
		return err
	}},
	"CompensationService/MarkUnenforceable": {onClaim("awarded"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().MarkUnenforceable(ctx, &casebridgev1.MarkUnenforceableRequest{Id: fx.claimID, Etag: fx.etag,
			Reason: "defendant insolvent"})
		return err
	}},
	"CompensationService/RecordPayment": {onClaim("awarded"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().RecordPayment(ctx, &casebridgev1.RecordPaymentRequest{ClaimId: fx.claimID, Etag: fx.etag,
			Amount: eur(50000), PaidDate: "2025-04-02"})
		return err
	}},
	"CompensationService/ListPayments": {onClaim("paid_part"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().ListPayments(ctx, &casebridgev1.ListPaymentsRequest{ClaimId: fx.claimID})
		return err
	}},
	"CompensationService/GetClaimSummary": {onClaim("paid_part"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.compensation().GetClaimSummary(ctx, &casebridgev1.GetClaimSummaryRequest{CaseId: fx.caseID})
		return err
	}},
}
