package proceedings_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestProceedingsNameTheirCaseByReference: a proceeding read, listed or
// changed names its case by the owner's reference ("SHA-2026-0042") as
// well as its id, so that a person reading it knows which case it is.
func TestProceedingsNameTheirCaseByReference(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	got, err := w.cs.GetCase(w.as(caseworker), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		t.Fatal(err)
	}
	ref := got.GetCase().GetReference()
	created, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	if err != nil || created.GetProceeding().GetCaseReference() != ref || ref == "" {
		t.Fatalf("created: %v %v, want reference %q", created.GetProceeding(), err, ref)
	}
	id := created.GetProceeding().GetId()
	if r, err := w.ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: id}); err != nil || r.GetProceeding().GetCaseReference() != ref {
		t.Fatalf("get: %v %v", r, err)
	}
	if r, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{CaseId: caseID}); err != nil || len(r.GetProceedings()) != 1 || r.GetProceedings()[0].GetCaseReference() != ref {
		t.Fatalf("list: %v %v", r, err)
	}
	if r, err := w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: id, Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT}); err != nil || r.GetProceeding().GetCaseReference() != ref {
		t.Fatalf("advance: %v %v", r, err)
	}
}

// TestHearingExpectedDuration: a hearing may say how long the court
// expects it to last (5 minutes to 12 hours); it is kept, returned,
// changed through the update mask and cleared by an update that leaves it
// out. A length outside the bounds is InvalidArgument naming the field.
func TestHearingExpectedDuration(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	pr := w.newProceeding(w.referredCase(), criminal())
	at := time.Now().Add(96 * time.Hour).Truncate(time.Minute)

	h := mainHearing(at, "")
	h.ExpectedDuration = durationpb.New(90 * time.Minute)
	added, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: h})
	if err != nil || added.GetHearing().GetExpectedDuration().AsDuration() != 90*time.Minute {
		t.Fatalf("add with a length: %v %v", added.GetHearing(), err)
	}
	id := added.GetHearing().GetId()
	cal, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 7})
	if err != nil || len(cal.GetItems()) != 1 || cal.GetItems()[0].GetHearing().GetExpectedDuration().AsDuration() != 90*time.Minute {
		t.Fatalf("calendar: %v %v", cal.GetItems(), err)
	}
	upd, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: id, ExpectedDuration: durationpb.New(3 * time.Hour)}, Etag: added.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"expected_duration"}},
	})
	if err != nil || upd.GetHearing().GetExpectedDuration().AsDuration() != 3*time.Hour {
		t.Fatalf("update the length: %v %v", upd.GetHearing(), err)
	}
	cleared, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: id}, Etag: upd.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"expected_duration"}},
	})
	if err != nil || cleared.GetHearing().GetExpectedDuration() != nil {
		t.Fatalf("clear the length: %v %v", cleared.GetHearing(), err)
	}
	for _, bad := range []time.Duration{time.Minute, 13 * time.Hour, -time.Hour} {
		h := mainHearing(at, "")
		h.ExpectedDuration = durationpb.New(bad)
		_, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: h})
		servertest.WantField(t, err, "hearing.expected_duration")
	}
}
