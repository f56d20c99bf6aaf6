package proceedings_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const notesMarker = "Marker-Notes-5150: the witness fears the second defendant"

var legalClass = []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}

func mainHearing(at time.Time, notes string) *casebridgev1.Hearing {
	return &casebridgev1.Hearing{StartTime: timestamppb.New(at), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN, Notes: notes}
}

// TestHearingsAndNotes: the lawyer's notes are sealed before storage,
// returned in the FULL view to the lawyer, redacted in the BASIC view and
// in the calendar; the owner's caseworker sees no hearings at all (the
// policy keeps where and when the person must appear with the lawyers).
func TestHearingsAndNotes(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()
	pr := w.newProceeding(caseID, criminal())
	at := time.Now().Add(72 * time.Hour).Truncate(time.Minute)

	reqID := uuid.NewString()
	added, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(at, notesMarker), RequestId: reqID})
	if err != nil {
		t.Fatalf("add hearing: %v", err)
	}
	h := added.GetHearing()
	if h.GetNotes() != notesMarker || h.GetStatus() != casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED ||
		h.GetCourtTimeZone() != "Europe/Belgrade" || !h.GetStartTime().AsTime().Equal(at) || h.GetCaseId() != caseID {
		t.Fatalf("added hearing: %v", h)
	}
	again, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(at, "other"), RequestId: reqID})
	if err != nil || again.GetHearing().GetId() != h.GetId() || again.GetHearing().GetNotes() != notesMarker {
		t.Fatalf("retried add: %v %v", again.GetHearing(), err)
	}

	// What PostgreSQL holds is ciphertext.
	var stored []byte
	if err := w.env.Pool.QueryRow(context.Background(), `SELECT notes FROM hearings WHERE id = $1`, h.GetId()).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 || bytes.Contains(stored, []byte("Marker-Notes")) {
		t.Fatalf("hearing notes stored in plain text or not at all (%d bytes)", len(stored))
	}

	list := func(ctx context.Context, view casebridgev1.HearingView) []*casebridgev1.Hearing {
		t.Helper()
		resp, err := w.ps.ListHearings(ctx, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId(), View: view})
		if err != nil {
			t.Fatalf("list hearings: %v", err)
		}
		return resp.GetHearings()
	}
	basic := list(lw, casebridgev1.HearingView_HEARING_VIEW_UNSPECIFIED)
	if len(basic) != 1 || basic[0].GetNotes() != "" || !equalClasses(basic[0].GetRedactedClasses(), legalClass) {
		t.Fatalf("BASIC view: %v", basic)
	}
	full := list(lw, casebridgev1.HearingView_HEARING_VIEW_FULL)
	if len(full) != 1 || full[0].GetNotes() != notesMarker || len(full[0].GetRedactedClasses()) != 0 {
		t.Fatalf("FULL view: %v", full)
	}
	byCase, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{CaseId: caseID})
	if err != nil || len(byCase.GetHearings()) != 1 {
		t.Fatalf("hearings by case: %v %v", byCase.GetHearings(), err)
	}

	// The owner's caseworker reads the proceeding's status, never hearings.
	if _, err := w.ps.GetProceeding(cw, &casebridgev1.GetProceedingRequest{Id: pr.GetId()}); err != nil {
		t.Fatalf("caseworker reads the proceeding: %v", err)
	}
	_, err = w.ps.ListHearings(cw, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId(), View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.ps.ListUpcoming(cw, &casebridgev1.ListUpcomingRequest{})
	wantCode(t, err, codes.PermissionDenied)

	// Held, with an outcome and new notes; a stale etag changes nothing.
	upd, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetId(), Status: casebridgev1.HearingStatus_HEARING_STATUS_HELD,
			Outcome: "adjourned for expert witness", Notes: "second notes"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status", "outcome", "notes"}}, Etag: h.GetEtag(),
	})
	if err != nil {
		t.Fatalf("update hearing: %v", err)
	}
	if upd.GetHearing().GetNotes() != "second notes" || upd.GetHearing().GetOutcome() != "adjourned for expert witness" ||
		!upd.GetHearing().GetStartTime().AsTime().Equal(at) {
		t.Fatalf("updated hearing: %v", upd.GetHearing())
	}
	_, err = w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetId(), Outcome: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}}, Etag: h.GetEtag(),
	})
	wantCode(t, err, codes.Aborted)
	// Clearing the notes removes the ciphertext.
	cleared, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetId()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}, Etag: upd.GetHearing().GetEtag(),
	})
	if err != nil || cleared.GetHearing().GetNotes() != "" || len(cleared.GetHearing().GetRedactedClasses()) != 0 {
		t.Fatalf("clear notes: %v %v", cleared.GetHearing(), err)
	}

	// A held hearing happened: it cannot be cancelled. A scheduled one can, once.
	_, err = w.ps.CancelHearing(lw, &casebridgev1.CancelHearingRequest{Id: h.GetId(), Reason: "x"})
	wantMessage(t, err, codes.FailedPrecondition, "held")
	second, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(at.Add(24*time.Hour), "")})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, err := w.ps.CancelHearing(lw, &casebridgev1.CancelHearingRequest{Id: second.GetHearing().GetId(), Reason: "judge ill"})
	if err != nil || cancelled.GetHearing().GetStatus() != casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED || cancelled.GetHearing().GetCancelReason() != "judge ill" {
		t.Fatalf("cancel: %v %v", cancelled.GetHearing(), err)
	}
	_, err = w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing:    &casebridgev1.Hearing{Id: second.GetHearing().GetId(), Outcome: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}}, Etag: cancelled.GetHearing().GetEtag(),
	})
	wantCode(t, err, codes.FailedPrecondition)
	scheduled, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{CaseId: caseID, Status: casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED})
	if err != nil || len(scheduled.GetHearings()) != 1 {
		t.Fatalf("cancelled hearings: %v %v", scheduled.GetHearings(), err)
	}
	// Another organisation: NotFound for the hearing as for its case.
	_, err = w.ps.CancelHearing(w.as(otherCW), &casebridgev1.CancelHearingRequest{Id: second.GetHearing().GetId(), Reason: "x"})
	wantCode(t, err, codes.PermissionDenied) // cso-c's caseworker may not touch hearings anywhere
}

// TestNotesNeedTheLegalClass: a legal referral that does not share the
// legal class lets legal-b schedule hearings but not write or read notes.
func TestNotesNeedTheLegalClass(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.newCase()
	w.refer(caseID, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_IDENTITY)
	pr := w.newProceeding(caseID, criminal())
	at := time.Now().Add(48 * time.Hour)
	_, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(at, "notes")})
	wantMessage(t, err, codes.PermissionDenied, "legal class")
	if _, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(at, "")}); err != nil {
		t.Fatalf("a hearing without notes: %v", err)
	}
}

// TestErasedCaseNotes: erasing the case shreds its key, so hearing notes
// become unreadable; reads report them redacted instead of failing, and no
// new notes can be sealed.
func TestErasedCaseNotes(t *testing.T) {
	w := start(t)
	// shelter-a gets a lawyer of its own, to litigate its own case.
	const ownLawyer = "lawyer@shelter-a"
	if _, err := w.env.Pool.Exec(context.Background(),
		`INSERT INTO memberships (organization_id, subject, roles) VALUES ('shelter-a', $1, '{lawyer}')`, ownLawyer); err != nil {
		t.Fatal(err)
	}
	ol := w.as(ownLawyer)
	caseID := w.newCase()
	resp, err := w.ps.CreateProceeding(ol, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	if err != nil {
		t.Fatalf("owner's lawyer creates: %v", err)
	}
	pr := resp.GetProceeding()
	if pr.GetResponsibleLawyer() != ownLawyer {
		t.Fatalf("responsible lawyer %q", pr.GetResponsibleLawyer())
	}
	h, err := w.ps.AddHearing(ol, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(time.Now().Add(time.Hour), notesMarker)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cs.EraseCase(w.as(supervisor), &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "the person asked"}); err != nil {
		t.Fatalf("erase: %v", err)
	}
	full, err := w.ps.ListHearings(ol, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId(), View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	if err != nil {
		t.Fatalf("list after erasure: %v", err)
	}
	if got := full.GetHearings(); len(got) != 1 || got[0].GetNotes() != "" || !equalClasses(got[0].GetRedactedClasses(), legalClass) {
		t.Fatalf("hearings after erasure: %v", got)
	}
	_, err = w.ps.UpdateHearing(ol, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetHearing().GetId(), Notes: "more"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}},
		Etag: h.GetHearing().GetEtag(),
	})
	wantMessage(t, err, codes.FailedPrecondition, "erased")
}

// TestDeadlines: added open, marked met, only open ones cancelled, listed
// earliest first.
func TestDeadlines(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	pr := w.newProceeding(caseID, criminal())
	due := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	add := func(at time.Time, kind casebridgev1.DeadlineKind) *casebridgev1.Deadline {
		t.Helper()
		resp, err := w.ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: pr.GetId(), Deadline: &casebridgev1.Deadline{
			DueTime: timestamppb.New(at), Kind: kind, Description: "appeal against first-instance judgment",
		}})
		if err != nil {
			t.Fatalf("add deadline: %v", err)
		}
		return resp.GetDeadline()
	}
	late := add(due, casebridgev1.DeadlineKind_DEADLINE_KIND_APPEAL)
	early := add(due.Add(-5*24*time.Hour), casebridgev1.DeadlineKind_DEADLINE_KIND_FILING)
	if late.GetStatus() != casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN || late.GetCourtTimeZone() != "Europe/Belgrade" || !late.GetDueTime().AsTime().Equal(due) {
		t.Fatalf("added deadline: %v", late)
	}
	met, err := w.ps.UpdateDeadline(lw, &casebridgev1.UpdateDeadlineRequest{
		Deadline:   &casebridgev1.Deadline{Id: early.GetId(), Status: casebridgev1.DeadlineStatus_DEADLINE_STATUS_MET},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}, Etag: early.GetEtag(),
	})
	if err != nil || met.GetDeadline().GetStatus() != casebridgev1.DeadlineStatus_DEADLINE_STATUS_MET {
		t.Fatalf("mark met: %v %v", met, err)
	}
	_, err = w.ps.CancelDeadline(lw, &casebridgev1.CancelDeadlineRequest{Id: early.GetId()})
	wantMessage(t, err, codes.FailedPrecondition, "met")
	all, err := w.ps.ListDeadlines(lw, &casebridgev1.ListDeadlinesRequest{ProceedingId: pr.GetId()})
	if err != nil || len(all.GetDeadlines()) != 2 || all.GetDeadlines()[0].GetId() != early.GetId() {
		t.Fatalf("deadlines earliest first: %v %v", all.GetDeadlines(), err)
	}
	cancelled, err := w.ps.CancelDeadline(lw, &casebridgev1.CancelDeadlineRequest{Id: late.GetId(), Etag: late.GetEtag(), Reason: "charges dropped"})
	if err != nil || cancelled.GetDeadline().GetStatus() != casebridgev1.DeadlineStatus_DEADLINE_STATUS_CANCELLED {
		t.Fatalf("cancel: %v %v", cancelled, err)
	}
	open, err := w.ps.ListDeadlines(lw, &casebridgev1.ListDeadlinesRequest{CaseId: caseID, Status: casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN})
	if err != nil || len(open.GetDeadlines()) != 0 {
		t.Fatalf("open deadlines: %v %v", open.GetDeadlines(), err)
	}
	_, err = w.ps.ListDeadlines(w.as(caseworker), &casebridgev1.ListDeadlinesRequest{CaseId: caseID})
	wantCode(t, err, codes.PermissionDenied)
}

func equalClasses(a, b []casebridgev1.DataClass) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHearingNotesSurviveRevocation is the regression test of the data
// loss on re-keying: withdrawing the consent behind another organisation's
// referral re-keys the case, and the lawyer's hearing notes (sealed under
// the case key) still open in the FULL view instead of failing Internal.
func TestHearingNotesSurviveRevocation(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()
	pr := w.newProceeding(caseID, criminal())
	if _, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(time.Now().Add(time.Hour), notesMarker)}); err != nil {
		t.Fatal(err)
	}
	w.env.ReferTo(t, caseID, "cso-c", otherCW, casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, casebridgev1.DataClass_DATA_CLASS_CARE)
	consents, err := w.cs.ListConsents(cw, &casebridgev1.ListConsentsRequest{CaseId: caseID})
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := 0
	for _, c := range consents.GetConsents() {
		if c.GetOrganizationId() == "cso-c" {
			if _, err := w.cs.WithdrawConsent(cw, &casebridgev1.WithdrawConsentRequest{CaseId: caseID, ConsentId: c.GetId()}); err != nil {
				t.Fatalf("withdraw consent: %v", err)
			}
			withdrawn++
		}
	}
	if withdrawn != 1 {
		t.Fatalf("withdrew %d consents to cso-c, want 1", withdrawn)
	}
	var cso int
	if err := w.env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_keys k JOIN organization_keys o USING (key_id)
		WHERE k.case_id = $1 AND o.organization_id = 'cso-c'`, caseID).Scan(&cso); err != nil || cso != 0 {
		t.Fatalf("cso-c still holds %d wrapped keys of the case (%v): no re-key happened", cso, err)
	}
	full, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId(), View: casebridgev1.HearingView_HEARING_VIEW_FULL})
	if err != nil {
		t.Fatalf("FULL ListHearings after the revocation: %v", err)
	}
	if got := full.GetHearings(); len(got) != 1 || got[0].GetNotes() != notesMarker {
		t.Fatalf("hearings after the revocation: %v", got)
	}
}
