package transfers_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransferEndsTheFormerOwnersApprovals: shelter-a asked its
// supervisors to approve a support plan, then transferred the case to
// cso-c before anyone decided. The request was made of shelter-a, which no
// longer decides anything for the case, and cso-c's supervisors may not
// decide a request of another organisation: the transfer withdraws it and
// the plan is a draft again, so that cso-c can change it and ask its own
// supervisor — not a plan frozen forever, awaiting an approval nobody can
// give.
func TestTransferEndsTheFormerOwnersApprovals(t *testing.T) {
	env := servertest.Start(t)
	if _, err := env.Pool.Exec(bg(), `INSERT INTO memberships (organization_id, subject, roles) VALUES ('cso-c', 'supervisor@cso-c', '{supervisor}')`); err != nil {
		t.Fatal(err)
	}
	cw := casebridgev1.NewCaseworkServiceClient(env.Conn)
	rs := env.As(t, caseworkerRS)
	id := newCase(t, env)
	plan, err := cw.CreateSupportPlan(rs, &casebridgev1.CreateSupportPlanRequest{CaseId: id,
		Plan: &casebridgev1.SupportPlan{Summary: "safe housing", ReviewDate: "2030-06-01"}})
	if err != nil {
		t.Fatal(err)
	}
	asked, err := cw.RequestApproval(rs, &casebridgev1.RequestApprovalRequest{CaseId: id,
		Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN})
	if err != nil {
		t.Fatal(err)
	}
	transferToCSO(t, env, id)

	mk := env.As(t, caseworkerMK)
	got, err := cw.GetSupportPlan(mk, &casebridgev1.GetSupportPlanRequest{CaseId: id, Id: plan.GetPlan().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if st := got.GetPlan().GetStatus(); st != casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_DRAFT {
		t.Fatalf("after the transfer the plan is %s, want a draft the new owner can work on", st)
	}
	list, err := cw.ListApprovals(mk, &casebridgev1.ListApprovalsRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list.GetApprovals() {
		if a.GetId() == asked.GetApproval().GetId() && a.GetStatus() == casebridgev1.ApprovalStatus_APPROVAL_STATUS_PENDING {
			t.Errorf("shelter-a's request %s is still pending after the transfer", a.GetId())
		}
	}
	upd, err := cw.UpdateSupportPlan(mk, &casebridgev1.UpdateSupportPlanRequest{Plan: &casebridgev1.SupportPlan{Id: plan.GetPlan().GetId(), Summary: "safe housing in Skopje"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"summary"}}, Etag: got.GetPlan().GetEtag()})
	if err != nil {
		t.Fatalf("the new owner changes the plan: %v", err)
	}
	mine, err := cw.RequestApproval(mk, &casebridgev1.RequestApprovalRequest{CaseId: id,
		Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN})
	if err != nil {
		t.Fatalf("the new owner asks its own supervisor: %v", err)
	}
	dec, err := cw.DecideApproval(env.As(t, "supervisor@cso-c"), &casebridgev1.DecideApprovalRequest{Id: mine.GetApproval().GetId(),
		Decision: casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE, Etag: mine.GetApproval().GetEtag()})
	if err != nil || dec.GetApproval().GetStatus() != casebridgev1.ApprovalStatus_APPROVAL_STATUS_APPROVED {
		t.Fatalf("cso-c's supervisor approves cso-c's request: %v %v", dec.GetApproval(), err)
	}
	final, err := cw.GetSupportPlan(mk, &casebridgev1.GetSupportPlanRequest{CaseId: id, Id: upd.GetPlan().GetId()})
	if err != nil || final.GetPlan().GetStatus() != casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE {
		t.Fatalf("the approved plan: %v %v", final.GetPlan().GetStatus(), err)
	}
}
