package proceedings_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestProceedingCallsAreAudited: the auditor sees, under the case, every
// change to its proceeding, hearings and deadlines — the legal class when
// legal text (court, docket, charges, notes, outcome) was written — each
// committed by the change's own transaction, and every read of the case's
// proceedings, with the legal class whenever the answer carried legal text
// in clear: a read, a retried create, or a change answered with texts it
// did not write (a stage advanced on a proceeding with a court). A refused
// read and a failed stage move are on record, and the failed move left no
// OK event.
func TestProceedingCallsAreAudited(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()
	at := time.Now().Add(72 * time.Hour).Truncate(time.Minute)

	created, err := w.ps.CreateProceeding(servertest.WithRequestID(lw, "proc-create"), &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	if err != nil {
		t.Fatal(err)
	}
	procID := created.GetProceeding().GetId()
	addReq := &casebridgev1.AddHearingRequest{ProceedingId: procID, Hearing: mainHearing(at, notesMarker), RequestId: "4b8c1e38-2d7f-4c55-9f64-3f0d3a4b1c11"}
	added, err := w.ps.AddHearing(servertest.WithRequestID(lw, "hearing-add"), addReq)
	if err != nil {
		t.Fatal(err)
	}
	// A retry changes nothing but returns the notes: a read of them.
	if _, err := w.ps.AddHearing(servertest.WithRequestID(lw, "hearing-add-retry"), addReq); err != nil {
		t.Fatal(err)
	}
	plain, err := w.ps.AddHearing(servertest.WithRequestID(lw, "hearing-add-plain"), &casebridgev1.AddHearingRequest{ProceedingId: procID, Hearing: mainHearing(at.Add(24*time.Hour), "")})
	if err != nil {
		t.Fatal(err)
	}
	noted, err := w.ps.UpdateHearing(servertest.WithRequestID(lw, "hearing-notes"), &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: plain.GetHearing().GetId(), Notes: notesMarker}, Etag: plain.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Changing another field returns the notes it did not write.
	if _, err := w.ps.UpdateHearing(servertest.WithRequestID(lw, "hearing-outcome"), &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: noted.GetHearing().GetId(), Outcome: "adjourned"}, Etag: noted.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}},
	}); err != nil {
		t.Fatal(err)
	}
	deadline, err := w.ps.AddDeadline(servertest.WithRequestID(lw, "deadline-add"), &casebridgev1.AddDeadlineRequest{ProceedingId: procID, Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(at), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.AdvanceStage(servertest.WithRequestID(lw, "proc-advance"), &casebridgev1.AdvanceStageRequest{Id: procID, Stage: indictmentStage}); err != nil {
		t.Fatal(err)
	}
	// Failed: stages only move forward.
	_, err = w.ps.AdvanceStage(servertest.WithRequestID(lw, "proc-advance-back"), &casebridgev1.AdvanceStageRequest{Id: procID, Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION})
	wantCode(t, err, codes.FailedPrecondition)

	if _, err := w.ps.GetProceeding(servertest.WithRequestID(cw, "proc-get"), &casebridgev1.GetProceedingRequest{Id: procID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListHearings(servertest.WithRequestID(lw, "hearings-full"), &casebridgev1.ListHearingsRequest{ProceedingId: procID, View: casebridgev1.HearingView_HEARING_VIEW_FULL}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListHearings(servertest.WithRequestID(lw, "hearings-basic"), &casebridgev1.ListHearingsRequest{ProceedingId: procID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListDeadlines(servertest.WithRequestID(lw, "deadlines"), &casebridgev1.ListDeadlinesRequest{ProceedingId: procID}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c cannot tell the proceeding exists.
	_, err = w.ps.GetProceeding(servertest.WithRequestID(w.as(otherCW), "proc-get-refused"), &casebridgev1.GetProceedingRequest{Id: procID})
	wantCode(t, err, codes.NotFound)

	const (
		svc = "/casebridge.v1.ProceedingService/"
		lb  = "legal-b"
	)
	tr := w.env.AuditTrail(t, caseID)
	tr.Check(t, "proc-create", svc+"CreateProceeding", lawyer, expect("OK", lb, legalClass))
	ev := tr.Check(t, "hearing-add", svc+"AddHearing", lawyer, expect("OK", lb, legalClass))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM hearings WHERE id = $1`, added.GetHearing().GetId())
	tr.Check(t, "hearing-add-retry", svc+"AddHearing", lawyer, expect("OK", lb, legalClass))
	tr.Check(t, "hearing-add-plain", svc+"AddHearing", lawyer, expect("OK", lb, nil))
	tr.Check(t, "hearing-notes", svc+"UpdateHearing", lawyer, expect("OK", lb, legalClass))
	// The outcome is legal text: the change's own event names the class.
	tr.Check(t, "hearing-outcome", svc+"UpdateHearing", lawyer, expect("OK", lb, legalClass))
	ev = tr.Check(t, "deadline-add", svc+"AddDeadline", lawyer, expect("OK", lb, nil))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM deadlines WHERE id = $1`, deadline.GetDeadline().GetId())
	// The stage is plain; the answer returns the court and docket: a read.
	ev = tr.Check(t, "proc-advance", svc+"AdvanceStage", lawyer, expect("OK", lb, nil), expect("OK", lb, legalClass))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM proceedings WHERE id = $1`, procID)
	tr.Check(t, "proc-advance-back", svc+"AdvanceStage", lawyer, expect("FAILED_PRECONDITION", lb, nil))
	tr.Check(t, "proc-get", svc+"GetProceeding", caseworker, expect("OK", "shelter-a", legalClass))
	tr.Check(t, "hearings-full", svc+"ListHearings", lawyer, expect("OK", lb, legalClass))
	// The BASIC view opens no notes but returns the outcome "adjourned".
	tr.Check(t, "hearings-basic", svc+"ListHearings", lawyer, expect("OK", lb, legalClass))
	tr.Check(t, "deadlines", svc+"ListDeadlines", lawyer, expect("OK", lb, nil))
	tr.Check(t, "proc-get-refused", svc+"GetProceeding", otherCW, expect("NOT_FOUND", "cso-c", nil))
}

var indictmentStage = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT

// expect is one audit event a call must leave.
func expect(code, org string, classes []casebridgev1.DataClass) servertest.AuditExpect {
	return servertest.AuditExpect{Code: code, Org: org, Classes: classes}
}
