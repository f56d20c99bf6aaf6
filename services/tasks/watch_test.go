package tasks_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type taskWatch struct {
	events chan *casebridgev1.TaskEvent
	ended  chan struct{}
	err    error
}

func (w *world) watch(subject string) *taskWatch {
	w.t.Helper()
	ctx, cancel := context.WithCancel(w.as(subject))
	w.t.Cleanup(cancel)
	stream, err := w.ts.WatchTasks(ctx, &casebridgev1.WatchTasksRequest{})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		w.t.Fatal(err)
	}
	tw := &taskWatch{events: make(chan *casebridgev1.TaskEvent, 16), ended: make(chan struct{})}
	go func() {
		defer close(tw.ended)
		for {
			r, err := stream.Recv()
			if err != nil {
				tw.err = err
				return
			}
			tw.events <- r.GetEvent()
		}
	}()
	return tw
}

func (tw *taskWatch) next(t *testing.T) *casebridgev1.TaskEvent {
	t.Helper()
	select {
	case e := <-tw.events:
		return e
	case <-tw.ended:
		t.Fatalf("watch ended: %v", tw.err)
	case <-time.After(10 * time.Second):
		t.Fatal("no task event within 10s")
	}
	return nil
}

// TestWatchTasks: a member of the owner sees a task created and completed
// as it happens, with no text in the events; another organisation's member
// sees nothing; a member removed from the organisation has their watch
// ended within seconds, and no event after that.
func TestWatchTasks(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	sup := w.watch(supervisor)
	other := w.watch(otherCW)
	tk := w.task(caseID, "secret title", time.Hour)
	e := sup.next(t)
	if e.GetKind() != casebridgev1.TaskEventKind_TASK_EVENT_KIND_CREATED || e.GetTaskId() != tk.GetId() || e.GetCaseId() != caseID {
		t.Fatalf("first event: %v", e)
	}
	done, err := w.ts.CompleteTask(w.as(caseworker), &casebridgev1.CompleteTaskRequest{Id: tk.GetId(), Etag: tk.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if e := sup.next(t); e.GetKind() != casebridgev1.TaskEventKind_TASK_EVENT_KIND_COMPLETED || e.GetTaskId() != done.GetTask().GetId() {
		t.Fatalf("second event: %v", e)
	}
	select {
	case e := <-other.events:
		t.Fatalf("another organisation's watch received %v", e)
	case <-time.After(300 * time.Millisecond):
	}

	if _, err := w.env.Organizations().RemoveMember(w.as("admin@shelter-a"), &casebridgev1.RemoveMemberRequest{
		OrganizationId: "shelter-a", Subject: supervisor}); err != nil {
		t.Fatal(err)
	}
	w.task(caseID, "after the removal", 2*time.Hour)
	select {
	case <-sup.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the removed member's watch is still open")
	}
	select {
	case e := <-sup.events:
		t.Fatalf("the removed member received %v", e)
	default:
	}
	servertest.WantCode(t, sup.err, codes.PermissionDenied)
}

// TestTaskWatchesShareTheServerListener: task watches hear changes on the
// process's one listening connection (db.Listener), like referral watches
// and the caches: with two watches open and an event delivered, the
// database holds that one listening connection for this server and no
// other LISTENing connection of its own.
func TestTaskWatchesShareTheServerListener(t *testing.T) {
	w := start(t)
	a, b := w.watch(caseworker), w.watch(supervisor)
	tk := w.task(w.newCase(), "call back", time.Hour)
	for _, tw := range []*taskWatch{a, b} {
		if e := tw.next(t); e.GetTaskId() != tk.GetId() {
			t.Fatalf("event about %s, want %s", e.GetTaskId(), tk.GetId())
		}
	}
	var listeners, shared int
	if err := w.env.Pool.QueryRow(w.as(caseworker), `
		SELECT count(*) FILTER (WHERE application_name <> $1), count(*) FILTER (WHERE application_name = $1)
		FROM pg_stat_activity
		WHERE datname = current_database() AND application_name LIKE '%listener%'`, db.ListenerApplicationName).Scan(&listeners, &shared); err != nil {
		t.Fatal(err)
	}
	if listeners != 0 || shared != 1 {
		t.Errorf("%d listening connections besides the server's listener, and %d of that listener: want 0 and 1", listeners, shared)
	}
}
