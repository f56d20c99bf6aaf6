package tasks_test

import (
	"testing"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// TestErasedCaseTasksNotListed: once a case is erased its open tasks (with
// the case reference and due time) are no longer listed.
func TestErasedCaseTasksNotListed(t *testing.T) {
	w := start(t)
	id := w.newCase()
	tk := w.task(id, "call back", time.Hour)
	if !w.listed(tk.GetId()) {
		t.Fatal("sanity: the task is listed before the erasure")
	}
	w.erase(id)
	if w.listed(tk.GetId()) {
		t.Errorf("erased case %s still has its task %s listed", id, tk.GetId())
	}
}

// TestErasureClosesTheCaseTasks: erasing a case completes its open tasks —
// a follow-up and a system task — in the erasure's transaction, so none is
// left open in the database, none is listed, and the watchers of the
// organisation are told nothing about them (not even that they closed); a
// task of another case still reaches them.
func TestErasureClosesTheCaseTasks(t *testing.T) {
	w := start(t)
	ctx := w.as(caseworker)
	id := w.newCase()
	follow := w.task(id, "call back", time.Hour)
	plan := "6e1d8f46-9d2f-4e6c-8b8f-3f4f2d0c7b11"
	if _, err := w.env.Pool.Exec(ctx, `INSERT INTO support_plans (id, case_id, status, review_date, created_by)
		VALUES ($1, $2, $3, current_date + 2, 'caseworker@shelter-a')`,
		plan, id, int16(casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE)); err != nil {
		t.Fatal(err)
	}
	// The server's own sweep (run at start) may raise it first: the count
	// of open tasks below is what matters.
	if _, err := tasks.RaiseTasks(ctx, w.env.Pool); err != nil {
		t.Fatalf("raise the review task: %v", err)
	}
	open := func() int {
		var n int
		if err := w.env.Pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE case_id = $1 AND `+tasks.OpenSQL("tasks"), id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := open(); n != 2 {
		t.Fatalf("sanity: %d open tasks before the erasure, want 2", n)
	}
	sup := w.watch(supervisor)
	w.erase(id)
	if n := open(); n != 0 {
		t.Errorf("%d tasks of the erased case are still open", n)
	}
	if w.listed(follow.GetId()) {
		t.Errorf("the erased case's task %s is listed", follow.GetId())
	}
	r, err := w.ts.ListTasks(ctx, &casebridgev1.ListTasksRequest{CaseId: id, PageSize: 10})
	if err != nil || len(r.GetTasks()) != 0 {
		t.Errorf("ListTasks of the erased case: %v, %v", r.GetTasks(), err)
	}
	// A later task elsewhere is the first thing the watcher hears.
	later := w.task(w.newCase(), "elsewhere", time.Hour)
	if e := sup.next(t); e.GetTaskId() != later.GetId() {
		t.Fatalf("the watcher was told of task %s (case %s) of the erasure, before %s", e.GetTaskId(), e.GetCaseId(), later.GetId())
	}
}

func (w *world) listed(taskID string) bool {
	w.t.Helper()
	r, err := w.ts.ListTasks(w.as(caseworker), &casebridgev1.ListTasksRequest{PageSize: 500})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, x := range r.GetTasks() {
		if x.GetId() == taskID {
			return true
		}
	}
	return false
}

func (w *world) erase(caseID string) {
	w.t.Helper()
	c, err := w.env.Cases().GetCase(w.as(supervisor), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.env.Cases().EraseCase(w.as(supervisor), &casebridgev1.EraseCaseRequest{Id: caseID, Etag: c.GetCase().GetEtag(), Reason: "the person's request"}); err != nil {
		w.t.Fatal(err)
	}
}
