package tasks_test

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func ids(ts []*casebridgev1.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.GetId())
	}
	return out
}

func has(ts []*casebridgev1.Task, id string) bool {
	for _, t := range ts {
		if t.GetId() == id {
			return true
		}
	}
	return false
}

// TestFollowUpLifecycle: a caseworker writes down follow-ups; the lists
// show overdue, due-soon and own tasks; snoozing hides one from the
// overdue list; completing removes it; the texts are sealed in the
// database, returned to the owner, and every response carrying them is an
// audited read of the care class. Another organisation sees nothing.
func TestFollowUpLifecycle(t *testing.T) {
	w := start(t)
	cw := w.as(caseworker)
	caseID := w.newCase()
	overdue := w.task(caseID, "call the school", -2*time.Hour)
	soon := w.task(caseID, "book the dentist", 48*time.Hour)
	later := w.task(caseID, "renew the residence permit", 30*24*time.Hour)

	var sealed []byte
	if err := w.env.Pool.QueryRow(cw, `SELECT texts FROM tasks WHERE id = $1`, overdue.GetId()).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"call the school", "notes about"} {
		if len(sealed) == 0 || containsBytes(sealed, plain) {
			t.Fatalf("tasks.texts holds %q in clear (or nothing)", plain)
		}
	}

	list := func(req *casebridgev1.ListTasksRequest) []*casebridgev1.Task {
		t.Helper()
		r, err := w.ts.ListTasks(cw, req)
		if err != nil {
			t.Fatal(err)
		}
		return r.GetTasks()
	}
	if got := list(&casebridgev1.ListTasksRequest{Due: casebridgev1.TaskDue_TASK_DUE_OVERDUE}); len(got) != 1 || got[0].GetId() != overdue.GetId() {
		t.Fatalf("overdue = %v, want only %s", ids(got), overdue.GetId())
	}
	if got := list(&casebridgev1.ListTasksRequest{Due: casebridgev1.TaskDue_TASK_DUE_SOON}); len(got) != 1 || got[0].GetId() != soon.GetId() {
		t.Fatalf("due soon = %v, want only %s", ids(got), soon.GetId())
	}
	if got := list(&casebridgev1.ListTasksRequest{Due: casebridgev1.TaskDue_TASK_DUE_SOON, DueWithinDays: 60}); len(got) != 2 {
		t.Fatalf("due within 60 days = %v, want the two not overdue", ids(got))
	}
	if got := list(&casebridgev1.ListTasksRequest{Mine: true}); len(got) != 3 || got[0].GetTitle() != "call the school" {
		t.Fatalf("mine = %v, want all three, earliest first with its title", ids(got))
	}
	// Pages of one walk the whole list once.
	var walked []string
	req := &casebridgev1.ListTasksRequest{PageSize: 1}
	for {
		r, err := w.ts.ListTasks(cw, req)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, ids(r.GetTasks())...)
		if r.GetNextPageToken() == "" {
			break
		}
		req.PageToken = r.GetNextPageToken()
	}
	if len(walked) != 3 || walked[2] != later.GetId() {
		t.Fatalf("paged walk = %v", walked)
	}

	sn, err := w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: overdue.GetId(), Etag: overdue.GetEtag(),
		Until: timestamppb.New(time.Now().Add(24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if sn.GetTask().GetStatus() != casebridgev1.TaskStatus_TASK_STATUS_SNOOZED {
		t.Fatalf("snoozed task status %v", sn.GetTask().GetStatus())
	}
	if got := list(&casebridgev1.ListTasksRequest{Due: casebridgev1.TaskDue_TASK_DUE_OVERDUE}); len(got) != 0 {
		t.Fatalf("a snoozed task is still overdue: %v", ids(got))
	}
	// The old etag is stale now.
	_, err = w.ts.CompleteTask(cw, &casebridgev1.CompleteTaskRequest{Id: overdue.GetId(), Etag: overdue.GetEtag()})
	servertest.WantCode(t, err, codes.Aborted)
	done, err := w.ts.CompleteTask(w.as(supervisor), &casebridgev1.CompleteTaskRequest{Id: overdue.GetId(), Etag: sn.GetTask().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if done.GetTask().GetStatus() != casebridgev1.TaskStatus_TASK_STATUS_DONE || done.GetTask().GetCompletedBy() != supervisor {
		t.Fatalf("completed task: %v by %q", done.GetTask().GetStatus(), done.GetTask().GetCompletedBy())
	}
	if got := list(&casebridgev1.ListTasksRequest{}); has(got, overdue.GetId()) {
		t.Fatal("a done task is still listed")
	}

	// Another organisation: not found, never listed.
	other := w.as(otherCW)
	_, err = w.ts.GetTask(other, &casebridgev1.GetTaskRequest{Id: soon.GetId()})
	servertest.WantCode(t, err, codes.NotFound)
	r, err := w.ts.ListTasks(other, &casebridgev1.ListTasksRequest{})
	if err != nil || has(r.GetTasks(), soon.GetId()) {
		t.Fatalf("another organisation lists shelter-a's task (%v)", err)
	}
	_, err = w.ts.ListTasks(other, &casebridgev1.ListTasksRequest{OrganizationId: "shelter-a"})
	servertest.WantCode(t, err, codes.PermissionDenied)

	// Reads of the texts are audited in the care class.
	trail := w.env.AuditTrail(t, caseID)
	reads := 0
	for _, evs := range trail {
		for _, ev := range evs {
			if ev.GetMethod() == casebridgev1.TaskService_ListTasks_FullMethodName && containsClass(ev.GetClasses(), casebridgev1.DataClass_DATA_CLASS_CARE) {
				reads++
			}
		}
	}
	if reads == 0 {
		t.Fatal("ListTasks returned task titles without a care-class read in the audit trail")
	}
}

func containsClass(cs []casebridgev1.DataClass, c casebridgev1.DataClass) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func containsBytes(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// TestCreateIsIdempotentByRequestID: a retried create returns the first
// task and writes nothing more.
func TestCreateIsIdempotentByRequestID(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	req := &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "visit", DueTime: timestamppb.New(time.Now().Add(time.Hour)), RequestId: "rid-1"}
	a, err := w.ts.CreateTask(w.as(caseworker), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.ts.CreateTask(w.as(caseworker), req)
	if err != nil || a.GetTask().GetId() != b.GetTask().GetId() || b.GetTask().GetTitle() != "visit" {
		t.Fatalf("retry: %v %v", b.GetTask().GetId(), err)
	}
	var n int
	if err := w.env.Pool.QueryRow(t.Context(), `SELECT count(*) FROM tasks WHERE case_id = $1`, caseID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d tasks after a retried create (%v)", n, err)
	}
}
