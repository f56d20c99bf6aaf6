package proceedings_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestProceedingCallsAreAudited: the auditor sees, under the case, every
// change to its proceeding, hearings and deadlines — the legal class when
// hearing notes were written — each committed by the change's own
// transaction, and every read of the case's proceedings, with the legal
// class when notes were returned. A refused read and a failed stage move
// are on record, and the failed move left no OK event.
func TestProceedingCallsAreAudited(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()
	at := time.Now().Add(72 * time.Hour).Truncate(time.Minute)

	created, err := w.ps.CreateProceeding(withRID(lw, "proc-create"), &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal()})
	if err != nil {
		t.Fatal(err)
	}
	procID := created.GetProceeding().GetId()
	addReq := &casebridgev1.AddHearingRequest{ProceedingId: procID, Hearing: mainHearing(at, notesMarker), RequestId: "4b8c1e38-2d7f-4c55-9f64-3f0d3a4b1c11"}
	added, err := w.ps.AddHearing(withRID(lw, "hearing-add"), addReq)
	if err != nil {
		t.Fatal(err)
	}
	// A retry changes nothing but returns the notes: a read of them.
	if _, err := w.ps.AddHearing(withRID(lw, "hearing-add-retry"), addReq); err != nil {
		t.Fatal(err)
	}
	plain, err := w.ps.AddHearing(withRID(lw, "hearing-add-plain"), &casebridgev1.AddHearingRequest{ProceedingId: procID, Hearing: mainHearing(at.Add(24*time.Hour), "")})
	if err != nil {
		t.Fatal(err)
	}
	noted, err := w.ps.UpdateHearing(withRID(lw, "hearing-notes"), &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: plain.GetHearing().GetId(), Notes: notesMarker}, Etag: plain.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Changing another field returns the notes it did not write.
	if _, err := w.ps.UpdateHearing(withRID(lw, "hearing-outcome"), &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: noted.GetHearing().GetId(), Outcome: "adjourned"}, Etag: noted.GetHearing().GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"outcome"}},
	}); err != nil {
		t.Fatal(err)
	}
	deadline, err := w.ps.AddDeadline(withRID(lw, "deadline-add"), &casebridgev1.AddDeadlineRequest{ProceedingId: procID, Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(at), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.AdvanceStage(withRID(lw, "proc-advance"), &casebridgev1.AdvanceStageRequest{Id: procID, Stage: indictmentStage}); err != nil {
		t.Fatal(err)
	}
	// Failed: stages only move forward.
	_, err = w.ps.AdvanceStage(withRID(lw, "proc-advance-back"), &casebridgev1.AdvanceStageRequest{Id: procID, Stage: casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION})
	wantCode(t, err, codes.FailedPrecondition)

	if _, err := w.ps.GetProceeding(withRID(cw, "proc-get"), &casebridgev1.GetProceedingRequest{Id: procID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListHearings(withRID(lw, "hearings-full"), &casebridgev1.ListHearingsRequest{ProceedingId: procID, View: casebridgev1.HearingView_HEARING_VIEW_FULL}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListHearings(withRID(lw, "hearings-basic"), &casebridgev1.ListHearingsRequest{ProceedingId: procID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ps.ListDeadlines(withRID(lw, "deadlines"), &casebridgev1.ListDeadlinesRequest{ProceedingId: procID}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c cannot tell the proceeding exists.
	_, err = w.ps.GetProceeding(withRID(w.as(otherCW), "proc-get-refused"), &casebridgev1.GetProceedingRequest{Id: procID})
	wantCode(t, err, codes.NotFound)

	const (
		svc = "/casebridge.v1.ProceedingService/"
		lb  = "legal-b"
	)
	tr := readTrail(t, w.env, caseID)
	tr.check(t, "proc-create", svc+"CreateProceeding", lawyer, expect{"OK", lb, nil})
	ev := tr.check(t, "hearing-add", svc+"AddHearing", lawyer, expect{"OK", lb, legalClass})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM hearings WHERE id = $1`, added.GetHearing().GetId())
	tr.check(t, "hearing-add-retry", svc+"AddHearing", lawyer, expect{"OK", lb, legalClass})
	tr.check(t, "hearing-add-plain", svc+"AddHearing", lawyer, expect{"OK", lb, nil})
	tr.check(t, "hearing-notes", svc+"UpdateHearing", lawyer, expect{"OK", lb, legalClass})
	tr.check(t, "hearing-outcome", svc+"UpdateHearing", lawyer, expect{"OK", lb, nil}, expect{"OK", lb, legalClass})
	ev = tr.check(t, "deadline-add", svc+"AddDeadline", lawyer, expect{"OK", lb, nil})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM deadlines WHERE id = $1`, deadline.GetDeadline().GetId())
	ev = tr.check(t, "proc-advance", svc+"AdvanceStage", lawyer, expect{"OK", lb, nil})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM proceedings WHERE id = $1`, procID)
	tr.check(t, "proc-advance-back", svc+"AdvanceStage", lawyer, expect{"FAILED_PRECONDITION", lb, nil})
	tr.check(t, "proc-get", svc+"GetProceeding", caseworker, expect{"OK", "shelter-a", nil})
	tr.check(t, "hearings-full", svc+"ListHearings", lawyer, expect{"OK", lb, legalClass})
	tr.check(t, "hearings-basic", svc+"ListHearings", lawyer, expect{"OK", lb, nil})
	tr.check(t, "deadlines", svc+"ListDeadlines", lawyer, expect{"OK", lb, nil})
	tr.check(t, "proc-get-refused", svc+"GetProceeding", otherCW, expect{"NOT_FOUND", "cso-c", nil})
}

var indictmentStage = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT

// withRID makes the call carry request id rid, which its audit events repeat.
func withRID(ctx context.Context, rid string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-request-id", rid)
}

// trail is the audit trail of one case as the network's auditor reads it,
// by request id.
type trail map[string][]*casebridgev1.AuditEvent

func readTrail(t *testing.T, env *servertest.Env, caseID string) trail {
	t.Helper()
	resp, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(env.As(t, "auditor@network"),
		&casebridgev1.ListEventsRequest{CaseId: caseID, PageSize: 500})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	tr := trail{}
	for _, e := range resp.GetEvents() {
		tr[e.GetRequestId()] = append(tr[e.GetRequestId()], e)
	}
	return tr
}

// expect is one event a call must leave: its result, the organisation the
// caller acted for and the sensitive classes.
type expect struct {
	code    string
	org     string
	classes []casebridgev1.DataClass
}

// check asserts that call rid, of method by subject, left exactly the
// events want (in any order) and returns them in that order.
func (tr trail) check(t *testing.T, rid, method, subject string, want ...expect) []*casebridgev1.AuditEvent {
	t.Helper()
	got := tr[rid]
	if len(got) != len(want) {
		t.Fatalf("call %s: %d audit events, want %d: %v", rid, len(got), len(want), got)
	}
	out := make([]*casebridgev1.AuditEvent, len(want))
	used := make([]bool, len(got))
	for i, x := range want {
		for j, e := range got {
			if !used[j] && e.GetResultCode() == x.code && e.GetOrganizationId() == x.org && slices.Equal(e.GetClasses(), x.classes) {
				used[j], out[i] = true, e
				break
			}
		}
		if out[i] == nil {
			t.Fatalf("call %s: no audit event %+v among %v", rid, x, got)
		}
	}
	for _, e := range got {
		if e.GetMethod() != method || e.GetSubject() != subject {
			t.Fatalf("call %s: event of %s by %s, want %s by %s", rid, e.GetMethod(), e.GetSubject(), method, subject)
		}
	}
	return out
}

// sameTx asserts that event ev was written by the transaction that last
// wrote the row rowSQL selects (its xmin).
func sameTx(t *testing.T, env *servertest.Env, ev *casebridgev1.AuditEvent, rowSQL string, args ...any) {
	t.Helper()
	var eventXID, rowXID int64
	ctx := context.Background()
	if err := env.Pool.QueryRow(ctx, `SELECT xid % 4294967296 FROM audit_events WHERE id = $1`, ev.GetId()).Scan(&eventXID); err != nil {
		t.Fatalf("xid of event %s: %v", ev.GetId(), err)
	}
	if err := env.Pool.QueryRow(ctx, `SELECT xmin::text::bigint FROM (`+rowSQL+`) AS r`, args...).Scan(&rowXID); err != nil {
		t.Fatalf("xmin of the changed row: %v", err)
	}
	if eventXID != rowXID {
		t.Fatalf("event %s (%s) was written by transaction %d, the change by %d", ev.GetId(), ev.GetMethod(), eventXID, rowXID)
	}
}
