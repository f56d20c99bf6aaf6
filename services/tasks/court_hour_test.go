package tasks_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// TestCourtTasksAreRaisedByTheDayNotTheHour: a caseworker sees a hearing
// or deadline task with its day only, but also sees when the task appeared
// (its create time, and the moment WatchTasks tells of it). Were the task
// raised exactly one day (or N days) before the hearing's hour, that
// moment would give the hour away. So the sweep raises a task for every
// hearing of tomorrow (UTC) — early or late in the day alike — and for
// every deadline up to N days ahead, by the day: of two hearings on the
// same day, or two deadlines on the same day, either both have a task by
// now or neither does.
func TestCourtTasksAreRaisedByTheDayNotTheHour(t *testing.T) {
	w := start(t)
	ctx := w.as(caseworker)
	court := w.env.ReferredCase(t)
	proc := w.env.NewProceeding(t, court, servertest.CriminalProceeding())
	ps := casebridgev1.NewProceedingServiceClient(w.env.Conn)
	y, m, d := time.Now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	tomorrow := today.AddDate(0, 0, 1)
	deadlineDay := today.AddDate(0, 0, 3) // the default notice period
	var hearings, deadlines []string
	for _, at := range []time.Time{tomorrow.Add(30 * time.Second), tomorrow.Add(23*time.Hour + 59*time.Minute)} {
		h, err := ps.AddHearing(w.as(lawyer), &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
			StartTime: timestamppb.New(at), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
		if err != nil {
			t.Fatal(err)
		}
		hearings = append(hearings, h.GetHearing().GetId())
	}
	for _, at := range []time.Time{deadlineDay.Add(30 * time.Second), deadlineDay.Add(23*time.Hour + 59*time.Minute)} {
		dl, err := ps.AddDeadline(w.as(lawyer), &casebridgev1.AddDeadlineRequest{ProceedingId: proc.GetId(), Deadline: &casebridgev1.Deadline{
			DueTime: timestamppb.New(at), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING}})
		if err != nil {
			t.Fatal(err)
		}
		deadlines = append(deadlines, dl.GetDeadline().GetId())
	}
	if _, err := tasks.RaiseTasks(ctx, w.env.Pool); err != nil {
		t.Fatal(err)
	}
	raised := func(source string) bool {
		var n int
		if err := w.env.Pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE source_id = $1`, source).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	for what, ids := range map[string][]string{"hearing": hearings, "deadline": deadlines} {
		early, late := raised(ids[0]), raised(ids[1])
		if !early || !late {
			t.Errorf("of two %ss on the same day, the early one has a task: %v, the late one: %v; want both, so that when a task appears tells nobody the hour", what, early, late)
		}
	}
	// Nor does the sweep raise anything for the day after.
	later, err := ps.AddHearing(w.as(lawyer), &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(tomorrow.AddDate(0, 0, 1).Add(time.Minute)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.RaiseTasks(ctx, w.env.Pool); err != nil {
		t.Fatal(err)
	}
	if raised(later.GetHearing().GetId()) {
		t.Errorf("a hearing the day after tomorrow already has a hearing-tomorrow task")
	}
}
