package tasks_test

import (
	"testing"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestErasedCaseTasksNotListed: once a case is erased its open tasks (with
// the case reference and due time) are no longer listed.
func TestErasedCaseTasksNotListed(t *testing.T) {
	w := start(t)
	id := w.newCase()
	tk := w.task(id, "call back", time.Hour)
	listed := func() bool {
		r, err := w.ts.ListTasks(w.as(caseworker), &casebridgev1.ListTasksRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r.GetTasks() {
			if x.GetId() == tk.GetId() {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Fatal("sanity: the task is listed before the erasure")
	}
	c, err := w.env.Cases().GetCase(w.as(supervisor), &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.Cases().EraseCase(w.as(supervisor), &casebridgev1.EraseCaseRequest{Id: id, Etag: c.GetCase().GetEtag(), Reason: "the person's request"}); err != nil {
		t.Fatal(err)
	}
	if listed() {
		t.Errorf("erased case %s still has its task %s listed", id, tk.GetId())
	}
}
