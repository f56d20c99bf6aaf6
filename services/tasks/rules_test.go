package tasks_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// TestTransitionTable: the lifecycle as a table, and the server applying it
// over gRPC: from each status, which actions succeed and which are
// FailedPrecondition.
func TestTransitionTable(t *testing.T) {
	open, snoozed, done := casebridgev1.TaskStatus_TASK_STATUS_OPEN, casebridgev1.TaskStatus_TASK_STATUS_SNOOZED, casebridgev1.TaskStatus_TASK_STATUS_DONE
	table := []struct {
		from casebridgev1.TaskStatus
		act  tasks.Action
		ok   bool
	}{
		{open, tasks.ActComplete, true},
		{open, tasks.ActSnooze, true},
		{snoozed, tasks.ActComplete, true},
		{snoozed, tasks.ActSnooze, true},
		{done, tasks.ActComplete, false},
		{done, tasks.ActSnooze, false},
	}
	for _, c := range table {
		if got := tasks.Allowed(c.act, c.from); got != c.ok {
			t.Errorf("Allowed(%v, %v) = %v, want %v", c.act, c.from, got, c.ok)
		}
	}
	now := time.Now()
	later := now.Add(time.Hour)
	earlier := now.Add(-time.Hour)
	if tasks.Status(false, nil, now) != open || tasks.Status(false, &later, now) != snoozed ||
		tasks.Status(false, &earlier, now) != open || tasks.Status(true, &later, now) != done {
		t.Error("Status does not read open / snoozed / woken / done from the stored fields")
	}

	w := start(t)
	cw := w.as(caseworker)
	caseID := w.newCase()
	bring := func(st casebridgev1.TaskStatus) *casebridgev1.Task {
		tk := w.task(caseID, "x", time.Hour)
		switch st {
		case snoozed:
			r, err := w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag(), Until: timestamppb.New(time.Now().Add(time.Hour))})
			if err != nil {
				t.Fatal(err)
			}
			tk = r.GetTask()
		case done:
			r, err := w.ts.CompleteTask(cw, &casebridgev1.CompleteTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag()})
			if err != nil {
				t.Fatal(err)
			}
			tk = r.GetTask()
		}
		return tk
	}
	for _, c := range table {
		tk := bring(c.from)
		var err error
		switch c.act {
		case tasks.ActComplete:
			_, err = w.ts.CompleteTask(cw, &casebridgev1.CompleteTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag()})
		case tasks.ActSnooze:
			_, err = w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag(), Until: timestamppb.New(time.Now().Add(2 * time.Hour))})
		}
		if c.ok && err != nil {
			t.Errorf("%v a %v task: %v", c.act, c.from, err)
		}
		if !c.ok {
			servertest.WantCode(t, err, codes.FailedPrecondition)
		}
	}
}

// TestBadInput: every malformed request is InvalidArgument naming its field.
func TestBadInput(t *testing.T) {
	w := start(t)
	cw := w.as(caseworker)
	caseID := w.newCase()
	tk := w.task(caseID, "x", time.Hour)
	future := timestamppb.New(time.Now().Add(time.Hour))
	cases := []struct {
		name, field string
		call        func() error
	}{
		{"case id not a uuid", "case_id", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: "nope", Title: "x", DueTime: future})
			return err
		}},
		{"no title", "title", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "  ", DueTime: future})
			return err
		}},
		{"title too long", "title", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: strings.Repeat("x", 201), DueTime: future})
			return err
		}},
		{"no due time", "due_time", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "x"})
			return err
		}},
		{"due time out of range", "due_time", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "x", DueTime: timestamppb.New(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))})
			return err
		}},
		{"assignee not a member", "assignee", func() error {
			_, err := w.ts.CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: caseID, Title: "x", DueTime: future, Assignee: "stranger@nowhere"})
			return err
		}},
		{"get: id not a uuid", "id", func() error {
			_, err := w.ts.GetTask(cw, &casebridgev1.GetTaskRequest{Id: "x"})
			return err
		}},
		{"complete without etag", "etag", func() error {
			_, err := w.ts.CompleteTask(cw, &casebridgev1.CompleteTaskRequest{Id: tk.GetId()})
			return err
		}},
		{"snooze into the past", "until", func() error {
			_, err := w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag(), Until: timestamppb.New(time.Now().Add(-time.Minute))})
			return err
		}},
		{"snooze without until", "until", func() error {
			_, err := w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag()})
			return err
		}},
		{"snooze over a year", "until", func() error {
			_, err := w.ts.SnoozeTask(cw, &casebridgev1.SnoozeTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag(), Until: timestamppb.New(time.Now().AddDate(2, 0, 0))})
			return err
		}},
		{"page size too big", "page_size", func() error {
			_, err := w.ts.ListTasks(cw, &casebridgev1.ListTasksRequest{PageSize: 501})
			return err
		}},
		{"garbage page token", "page_token", func() error {
			_, err := w.ts.ListTasks(cw, &casebridgev1.ListTasksRequest{PageToken: "garbage"})
			return err
		}},
		{"days without due soon", "due_within_days", func() error {
			_, err := w.ts.ListTasks(cw, &casebridgev1.ListTasksRequest{DueWithinDays: 3})
			return err
		}},
		{"unknown due filter", "due", func() error {
			_, err := w.ts.ListTasks(cw, &casebridgev1.ListTasksRequest{Due: 99})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { servertest.WantField(t, c.call(), c.field) })
	}
}
