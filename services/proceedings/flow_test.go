package proceedings_test

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestProceedingLifecycle: a lawyer of the receiving organisation records a
// proceeding, changes it under etags, moves it through its stages and
// records the outcome; the owner's caseworker reads it; nobody else sees it.
func TestProceedingLifecycle(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()

	reqID := uuid.NewString()
	created, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal(), RequestId: reqID})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	pr := created.GetProceeding()
	if pr.GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION || pr.GetResponsibleLawyer() != lawyer ||
		pr.GetCaseId() != caseID || pr.GetCourtTimeZone() != "Europe/Belgrade" || pr.GetOutcome() != nil {
		t.Fatalf("created proceeding: %v", pr)
	}
	again, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal(), RequestId: reqID})
	if err != nil || again.GetProceeding().GetId() != pr.GetId() {
		t.Fatalf("retried create: %v, id %s want %s", err, again.GetProceeding().GetId(), pr.GetId())
	}

	// Caseworkers of the owner read status; they do not litigate.
	got, err := w.ps.GetProceeding(cw, &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	if err != nil || got.GetProceeding().GetDocketNumber() != "K 123/2025" {
		t.Fatalf("caseworker get: %v %v", got, err)
	}
	_, err = w.ps.CreateProceeding(cw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.ps.AdvanceStage(cw, &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT})
	wantCode(t, err, codes.PermissionDenied)
	// Another organisation cannot tell the proceeding exists.
	_, err = w.ps.GetProceeding(w.as(otherCW), &casebridgev1.GetProceedingRequest{Id: pr.GetId()})
	wantCode(t, err, codes.NotFound)

	// Update under etag; a stale one changes nothing.
	upd, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{
		Proceeding: &casebridgev1.Proceeding{Id: pr.GetId(), Strategic: true, StrategicGoal: "state fund pays when the offender cannot",
			ProtectiveMeasures: []casebridgev1.ProtectiveMeasure{casebridgev1.ProtectiveMeasure_PROTECTIVE_MEASURE_VIDEO_LINK_TESTIMONY}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"strategic", "strategic_goal", "protective_measures"}},
		Etag:       pr.GetEtag(),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if !upd.GetProceeding().GetStrategic() || upd.GetProceeding().GetCourt() != "Higher Court in Belgrade" ||
		len(upd.GetProceeding().GetProtectiveMeasures()) != 1 || upd.GetProceeding().GetEtag() == pr.GetEtag() {
		t.Fatalf("updated: %v", upd.GetProceeding())
	}
	_, err = w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{
		Proceeding: &casebridgev1.Proceeding{Id: pr.GetId(), Court: "elsewhere"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"court"}}, Etag: pr.GetEtag(),
	})
	wantCode(t, err, codes.Aborted)

	// Stages: forward, a retrial back to first instance, final; never back from final.
	etag := upd.GetProceeding().GetEtag()
	for _, to := range []casebridgev1.ProceedingStage{
		casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT,
		casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE,
		casebridgev1.ProceedingStage_PROCEEDING_STAGE_APPEAL,
		casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE,
	} {
		resp, err := w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: to, Etag: etag})
		if err != nil {
			t.Fatalf("advance to %v: %v", to, err)
		}
		if resp.GetProceeding().GetStage() != to {
			t.Fatalf("stage %v, want %v", resp.GetProceeding().GetStage(), to)
		}
		etag = resp.GetProceeding().GetEtag()
	}
	_, err = w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT})
	wantMessage(t, err, codes.FailedPrecondition, "first instance → indictment")

	// The outcome is recorded at the stage that decided; a later instance is refused.
	_, err = w.ps.RecordOutcome(lw, &casebridgev1.RecordOutcomeRequest{Id: pr.GetId(), Outcome: &casebridgev1.ProceedingOutcome{
		Kind: casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, DecisionDate: "2025-03-01",
		DecidedAt: casebridgev1.ProceedingStage_PROCEEDING_STAGE_APPEAL,
	}})
	wantCode(t, err, codes.FailedPrecondition)
	out, err := w.ps.RecordOutcome(lw, &casebridgev1.RecordOutcomeRequest{Id: pr.GetId(), Etag: etag, Outcome: &casebridgev1.ProceedingOutcome{
		Kind: casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, Sentence: "5 years' imprisonment",
		DecisionDate: "2025-03-01", FinalDate: "2025-04-15",
	}})
	if err != nil {
		t.Fatalf("record outcome: %v", err)
	}
	o := out.GetProceeding().GetOutcome()
	if o.GetKind() != casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION || o.GetDecidedAt() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE ||
		o.GetSentence() != "5 years' imprisonment" || o.GetDecisionDate() != "2025-03-01" || o.GetFinalDate() != "2025-04-15" {
		t.Fatalf("outcome %v", o)
	}
	if out.GetProceeding().GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE {
		t.Fatal("recording an outcome must not move the stage")
	}
	fin, err := w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_FINAL})
	if err != nil || !fin.GetProceeding().GetStageTime().AsTime().After(pr.GetStageTime().AsTime()) {
		t.Fatalf("advance to final: %v (stage time %v)", err, fin.GetProceeding().GetStageTime())
	}
	_, err = w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: pr.GetId(), Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_APPEAL})
	wantMessage(t, err, codes.FailedPrecondition, "final → appeal")
}

// TestListProceedings filters by case, lawyer and strategic flag, pages
// without repeats, and shows another organisation nothing.
func TestListProceedings(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseA, caseB := w.referredCase(), w.referredCase()
	want := map[string]bool{}
	for i := range 7 {
		p := criminal()
		caseID := caseA
		if i%2 == 1 {
			caseID = caseB
		}
		if i == 3 {
			p.Strategic, p.StrategicGoal = true, "test case for the state fund"
		}
		want[w.newProceeding(caseID, p).GetId()] = true
	}
	unassigned := criminal()
	resp, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseA, Proceeding: unassigned})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{
		Proceeding: &casebridgev1.Proceeding{Id: resp.GetProceeding().GetId()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"responsible_lawyer"}}, Etag: resp.GetProceeding().GetEtag(),
	}); err != nil {
		t.Fatalf("unassign: %v", err)
	}

	seen := map[string]int{}
	token := ""
	for pages := 0; ; pages++ {
		page, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.GetProceedings() {
			seen[p.GetId()]++
		}
		if token = page.GetNextPageToken(); token == "" || pages > 10 {
			break
		}
	}
	if len(seen) != 8 {
		t.Fatalf("listed %d proceedings, want 8", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("proceeding %s listed %d times", id, n)
		}
	}
	count := func(req *casebridgev1.ListProceedingsRequest) int {
		t.Helper()
		resp, err := w.ps.ListProceedings(lw, req)
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.GetProceedings())
	}
	if n := count(&casebridgev1.ListProceedingsRequest{CaseId: caseB}); n != 3 {
		t.Errorf("case B: %d proceedings, want 3", n)
	}
	if n := count(&casebridgev1.ListProceedingsRequest{ResponsibleLawyer: lawyer}); n != 7 {
		t.Errorf("lawyer's: %d proceedings, want 7", n)
	}
	if n := count(&casebridgev1.ListProceedingsRequest{StrategicOnly: true}); n != 1 {
		t.Errorf("strategic: %d proceedings, want 1", n)
	}
	other := w.as(otherCW)
	if resp, err := w.ps.ListProceedings(other, &casebridgev1.ListProceedingsRequest{}); err != nil || len(resp.GetProceedings()) != 0 {
		t.Fatalf("cso-c lists %v, %v", resp.GetProceedings(), err)
	}
	_, err = w.ps.ListProceedings(other, &casebridgev1.ListProceedingsRequest{CaseId: caseA})
	wantCode(t, err, codes.NotFound)
}

// TestOnlyLegalReferralsLitigate: a case referred to legal-b for medical
// care gives its lawyers the case to read, not proceedings to open.
func TestOnlyLegalReferralsLitigate(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	_, err := w.ps.CreateProceeding(w.as(lawyer), &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	wantCode(t, err, codes.NotFound) // not shared yet: not even there
	w.refer(caseID, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, casebridgev1.DataClass_DATA_CLASS_IDENTITY)
	_, err = w.ps.CreateProceeding(w.as(lawyer), &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	wantMessage(t, err, codes.PermissionDenied, "legal representation")
}
