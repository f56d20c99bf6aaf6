package tasks_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// counsel is a member of the owner who is a caseworker and the
// organisation's own lawyer: the owner does the legal work, and they may
// read its hearings and deadlines.
const counsel = "counsel@shelter-a"

// TestCourtTasksShowCourtDetailsOnlyToLegalReaders: the system tasks of a
// hearing tomorrow and a deadline due are seen by the owner's caseworkers
// and supervisors — they plan the person's day — but only with the day
// (UTC) they fall on: the hour of the hearing, the deadline's time and the
// ids of both are court data, shown through ListTasks, GetTask and
// WatchTasks only to a member the legal-work rule and the policy let read
// hearings and deadlines; a page token does not carry the hour either.
// The lawyer of another organisation and another organisation's
// caseworker see no tasks of the case at all.
func TestCourtTasksShowCourtDetailsOnlyToLegalReaders(t *testing.T) {
	w := start(t)
	ctx := w.as(caseworker)
	if _, err := w.env.Pool.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles) VALUES ('shelter-a', $1, '{caseworker,lawyer}')`, counsel); err != nil {
		t.Fatal(err)
	}
	court := w.env.ReferredCase(t)
	proc := w.env.NewProceeding(t, court, servertest.CriminalProceeding())
	ps := casebridgev1.NewProceedingServiceClient(w.env.Conn)
	// Whole seconds past the hour, so that the day cannot be mistaken for it.
	hearingAt := time.Now().Add(20 * time.Hour).Truncate(time.Hour).Add(17*time.Minute + 23*time.Second).UTC()
	deadlineAt := time.Now().Add(48 * time.Hour).Truncate(time.Hour).Add(41 * time.Minute).UTC()
	h, err := ps.AddHearing(w.as(lawyer), &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(hearingAt), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ps.AddDeadline(w.as(lawyer), &casebridgev1.AddDeadlineRequest{ProceedingId: proc.GetId(), Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(deadlineAt), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.RaiseTasks(ctx, w.env.Pool); err != nil {
		t.Fatal(err)
	}
	exact := map[casebridgev1.TaskKind]struct {
		at     time.Time
		source string
	}{
		casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW: {hearingAt, h.GetHearing().GetId()},
		casebridgev1.TaskKind_TASK_KIND_DEADLINE_DUE:     {deadlineAt, d.GetDeadline().GetId()},
	}
	day := func(at time.Time) time.Time {
		y, m, dd := at.Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	courtTasks := func(list []*casebridgev1.Task) []*casebridgev1.Task {
		var out []*casebridgev1.Task
		for _, tk := range list {
			if _, ok := exact[tk.GetKind()]; ok && tk.GetCaseId() == court {
				out = append(out, tk)
			}
		}
		return out
	}

	for _, tc := range []struct {
		who     string
		sees    bool // the tasks at all
		details bool // exact time and source id
		code    codes.Code
	}{
		{caseworker, true, false, codes.OK},
		{supervisor, true, false, codes.OK},
		{counsel, true, true, codes.OK},
		{lawyer, false, false, codes.PermissionDenied}, // legal-b represents the person but has no tasks role
		{otherCW, false, false, codes.OK},
	} {
		t.Run(tc.who, func(t *testing.T) {
			as := w.as(tc.who)
			check := func(via string, tk *casebridgev1.Task) {
				t.Helper()
				want := exact[tk.GetKind()]
				got := tk.GetDueTime().AsTime()
				switch {
				case tc.details && (!got.Equal(want.at) || tk.GetSourceId() != want.source):
					t.Errorf("%s %v: due %v source %q, want %v %q", via, tk.GetKind(), got, tk.GetSourceId(), want.at, want.source)
				case !tc.details && (!got.Equal(day(want.at)) || tk.GetSourceId() != ""):
					t.Errorf("%s %v: due %v source %q, want the day %v and no source", via, tk.GetKind(), got, tk.GetSourceId(), day(want.at))
				}
			}
			r, err := w.ts.ListTasks(as, &casebridgev1.ListTasksRequest{PageSize: 500})
			servertest.WantCode(t, err, tc.code)
			listed := courtTasks(r.GetTasks())
			if !tc.sees {
				if len(listed) != 0 {
					t.Fatalf("lists %d court tasks of the case, want none", len(listed))
				}
				return
			}
			if len(listed) != 2 {
				t.Fatalf("lists %d court tasks of the case, want 2", len(listed))
			}
			for _, tk := range listed {
				check("ListTasks", tk)
				g, err := w.ts.GetTask(as, &casebridgev1.GetTaskRequest{Id: tk.GetId()})
				if err != nil {
					t.Fatal(err)
				}
				check("GetTask", g.GetTask())
			}
			// A page ending on the hearing task: its token holds the day only.
			page, err := w.ts.ListTasks(as, &casebridgev1.ListTasksRequest{CaseId: court, PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.RawURLEncoding.DecodeString(page.GetNextPageToken())
			if err != nil || page.GetNextPageToken() == "" {
				t.Fatalf("page token %q: %v", page.GetNextPageToken(), err)
			}
			if !tc.details && strings.Contains(string(raw), hearingAt.Format("15:04:05")) {
				t.Errorf("page token %s carries the hearing's hour", raw)
			}
		})
	}

	// WatchTasks: the same for the events of a change to the hearing task.
	watches := map[string]*taskWatch{caseworker: w.watch(caseworker), counsel: w.watch(counsel), otherCW: w.watch(otherCW)}
	var hearingTask *casebridgev1.Task
	r, err := w.ts.ListTasks(w.as(supervisor), &casebridgev1.ListTasksRequest{CaseId: court, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range r.GetTasks() {
		if tk.GetKind() == casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW {
			hearingTask = tk
		}
	}
	if _, err := w.ts.SnoozeTask(w.as(supervisor), &casebridgev1.SnoozeTaskRequest{Id: hearingTask.GetId(), Etag: hearingTask.GetEtag(),
		Until: timestamppb.New(time.Now().Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]time.Time{caseworker: day(hearingAt), counsel: hearingAt} {
		e := watches[who].next(t)
		if e.GetTaskId() != hearingTask.GetId() || !e.GetDueTime().AsTime().Equal(want) {
			t.Errorf("%s's event: task %s due %v, want %s due %v", who, e.GetTaskId(), e.GetDueTime().AsTime(), hearingTask.GetId(), want)
		}
	}
	select {
	case e := <-watches[otherCW].events:
		t.Errorf("another organisation's caseworker received %v", e)
	case <-time.After(300 * time.Millisecond):
	}
}
