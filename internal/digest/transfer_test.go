package digest_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/digest"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransferMovesOpenTasks: a case with an overdue follow-up is transferred
// without a follow-up consent. The former owner's digest counts nothing of
// it; the new owner lists the follow-up, unassigned.
func TestTransferMovesOpenTasks(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ts := casebridgev1.NewTaskServiceClient(env.Conn)
	tr := casebridgev1.NewTransferServiceClient(env.Conn)
	rs, sv, mk := env.As(t, "caseworker@shelter-a"), env.As(t, "supervisor@shelter-a"), env.As(t, "caseworker@cso-c")

	c, err := cs.CreateCase(rs, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded:    &casebridgev1.CodedAttributes{Nationality: "MK", Country: "RS", Sex: casebridgev1.Sex_SEX_FEMALE},
		Identity: &casebridgev1.IdentityData{GivenNames: "Given"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetCase().GetId()
	if _, err := cs.RecordConsent(rs, &casebridgev1.RecordConsentRequest{CaseId: id,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "cso-c"}}); err != nil {
		t.Fatal(err)
	}
	task, err := ts.CreateTask(rs, &casebridgev1.CreateTaskRequest{CaseId: id, Title: "follow up",
		DueTime: timestamppb.New(time.Now().Add(-time.Hour)), Assignee: "caseworker@shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, overdue, err := digest.OverdueReferences(t.Context(), env.Pool, "shelter-a", time.Now()); err != nil || overdue != 1 {
		t.Fatalf("before the transfer shelter-a's digest counts %d overdue (%v), want 1", overdue, err)
	}
	p, err := tr.ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := tr.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: p.GetTransfer().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	newRef := acc.GetTransfer().GetToReference()

	refs, overdue, err := digest.OverdueReferences(t.Context(), env.Pool, "shelter-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(refs, newRef) || overdue > 0 {
		t.Errorf("shelter-a's digest counts the transferred case's task (%d overdue, refs %v, receiver's ref %s)", overdue, refs, newRef)
	}
	refs, overdue, err = digest.OverdueReferences(t.Context(), env.Pool, "cso-c", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(refs, newRef) || overdue != 1 {
		t.Errorf("cso-c's digest = %d overdue, refs %v; want 1 on %s", overdue, refs, newRef)
	}
	list, err := ts.ListTasks(mk, &casebridgev1.ListTasksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.GetTasks(), func(x *casebridgev1.Task) bool { return x.GetId() == task.GetTask().GetId() })
	if i < 0 {
		t.Fatalf("the new owner cso-c does not list the open follow-up %s of the case it took on", task.GetTask().GetId())
	}
	if got := list.GetTasks()[i]; got.GetOrganizationId() != "cso-c" || got.GetAssignee() != "" {
		t.Errorf("moved task: organization %q assignee %q, want cso-c and unassigned", got.GetOrganizationId(), got.GetAssignee())
	}
}
