package tasks_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestPartnerNamingTheOwnersTaskGetsNotFound: cso-c works on a shelter-a
// case by an accepted referral that grants it the care class, so it sees
// the case and its care data — but tasks are the owner's follow-ups,
// shared with nobody. A cso-c caseworker naming one of shelter-a's tasks
// by id is told NotFound, exactly as for an id that was never a task: a
// PermissionDenied naming the case would confirm that the task exists and
// whose it is.
func TestPartnerNamingTheOwnersTaskGetsNotFound(t *testing.T) {
	w := start(t)
	id := w.newCase()
	tk := w.task(id, "call back", time.Hour)
	w.env.ReferTo(t, id, "cso-c", otherCW, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, casebridgev1.DataClass_DATA_CLASS_CARE)
	cso := w.as(otherCW)
	if _, err := w.env.Cases().GetCase(cso, &casebridgev1.GetCaseRequest{Id: id}); err != nil {
		t.Fatalf("the partner must see the case: %v", err)
	}
	calls := map[string]func(string) error{
		"GetTask": func(id string) error {
			_, err := w.ts.GetTask(cso, &casebridgev1.GetTaskRequest{Id: id})
			return err
		},
		"CompleteTask": func(id string) error {
			_, err := w.ts.CompleteTask(cso, &casebridgev1.CompleteTaskRequest{Id: id, Etag: tk.GetEtag()})
			return err
		},
		"SnoozeTask": func(id string) error {
			_, err := w.ts.SnoozeTask(cso, &casebridgev1.SnoozeTaskRequest{Id: id, Etag: tk.GetEtag(), Until: timestamppb.New(time.Now().Add(time.Hour))})
			return err
		},
	}
	for name, call := range calls {
		if err := call(uuid.NewString()); status.Code(err) != codes.NotFound {
			t.Fatalf("%s of an unknown id: %v", name, err)
		}
		if err := call(tk.GetId()); status.Code(err) != codes.NotFound {
			t.Errorf("%s of shelter-a's task %s as the partner: %v, want NotFound as for an unknown id", name, tk.GetId(), err)
		}
	}
	// The owner's task is untouched and still its own.
	got, err := w.ts.GetTask(w.as(caseworker), &casebridgev1.GetTaskRequest{Id: tk.GetId()})
	if err != nil || got.GetTask().GetStatus() != tk.GetStatus() || got.GetTask().GetEtag() != tk.GetEtag() {
		t.Fatalf("the owner's task after the partner's attempts: %v %v", got.GetTask(), err)
	}
}
