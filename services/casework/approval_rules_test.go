package casework_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestApprovedPlanNeedsNewApproval: where the organisation requires a
// supervisor's approval of support plans, what the supervisor approved is
// what takes effect: an approved (active) plan's summary and objectives do
// not change without a new approval (FailedPrecondition), while progress
// on it (an objective's status) is still recorded.
func TestApprovedPlanNeedsNewApproval(t *testing.T) {
	w := start(t)
	w.requireApprovals(true, false)
	caseID := w.newCase()
	cw, sv := w.as(caseworker), w.as(supervisor)
	plan, obj, _ := w.newPlan(caseID)
	req := must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: planSubject})).GetApproval()
	must(w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()}))
	plan = must(w.cw.GetSupportPlan(cw, &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if plan.GetStatus() != active {
		t.Fatalf("plan after approval: %v", plan.GetStatus())
	}
	_, err := w.cw.UpdateSupportPlan(cw, &casebridgev1.UpdateSupportPlanRequest{
		Plan:       &casebridgev1.SupportPlan{Id: plan.GetId(), Summary: "something the supervisor never approved"},
		UpdateMask: mask("summary"), Etag: plan.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = w.cw.AddObjective(cw, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(),
		Objective: &casebridgev1.Objective{Description: "unapproved objective", TargetDate: "2030-05-01"}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = w.cw.UpdateObjective(cw, &casebridgev1.UpdateObjectiveRequest{
		Objective:  &casebridgev1.Objective{Id: obj.GetId(), Description: "reworded after approval"},
		UpdateMask: mask("description"), Etag: obj.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)
	must(w.cw.UpdateObjective(cw, &casebridgev1.UpdateObjectiveRequest{
		Objective:  &casebridgev1.Objective{Id: obj.GetId(), Status: casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_ACHIEVED},
		UpdateMask: mask("status"), Etag: obj.GetEtag()}))
}

// TestPlanAuthorDoesNotApprove: the four-eyes rule holds for who wrote
// the plan as well as who asked: a supervisor writes the plan, a
// caseworker requests approval, and the author cannot approve it.
func TestPlanAuthorDoesNotApprove(t *testing.T) {
	w := start(t)
	w.requireApprovals(true, false)
	caseID := w.newCase()
	cw, sv := w.as(caseworker), w.as(supervisor)
	must(w.cw.CreateSupportPlan(sv, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID,
		Plan: &casebridgev1.SupportPlan{Summary: "written by the supervisor", ReviewDate: "2030-06-01"}}))
	req := must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: planSubject})).GetApproval()
	_, err := w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)
}

// TestErasureWithdrawsApprovals: an erasure withdraws the case's closure
// request awaiting a decision, which leaves the supervisors' inbox: it
// could never be decided and would name an erased case.
func TestErasureWithdrawsApprovals(t *testing.T) {
	w := start(t)
	cases := w.env.Cases()
	sv, cw := w.as(supervisor), w.as(caseworker)
	caseID := w.newCase()
	req := must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure, Comment: "Marker-Erase-Pending"})).GetApproval()
	must(cases.EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "the person asked"}))
	inbox, err := w.cw.ListApprovals(sv, &casebridgev1.ListApprovalsRequest{})
	if err != nil {
		t.Fatalf("inbox after an erasure: %v", err)
	}
	for _, a := range inbox.GetApprovals() {
		if a.GetId() == req.GetId() {
			t.Errorf("the pending closure request of an erased case is still in the inbox: %v", a)
		}
	}
}

// TestClosureApprovalUsedOnce: a close uses the approved closure request
// even while the setting is off, so after a reopen with the setting back
// on the old approval does not close the case again; an approval decided
// since the reopen does.
func TestClosureApprovalUsedOnce(t *testing.T) {
	w := start(t)
	cases := w.env.Cases()
	sv, cw := w.as(supervisor), w.as(caseworker)
	w.requireApprovals(false, true)
	caseID := w.newCase()
	req := must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure})).GetApproval()
	must(w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()}))
	w.requireApprovals(false, false)
	must(cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})) // setting off: approval not used
	must(cases.ReopenCase(sv, &casebridgev1.ReopenCaseRequest{Id: caseID}))
	w.requireApprovals(false, true)
	_, err := cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})
	wantCode(t, err, codes.FailedPrecondition)
	req = must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure})).GetApproval()
	must(w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()}))
	must(cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID}))
}
