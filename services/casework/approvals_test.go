package casework_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	approve     = casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE
	reject      = casebridgev1.ApprovalDecision_APPROVAL_DECISION_REJECT
	planSubject = casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN
	closure     = casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_CASE_CLOSURE
)

// TestPlanApproval: where the organisation requires it, a plan becomes
// active only through a supervisor's approval: the caseworker asks (the
// plan then awaits and cannot change), a rejection needs a comment and
// returns the plan to draft, an approval activates it; a caseworker
// cannot decide, nobody decides their own request, and every step is
// audited with the care class of its comments.
func TestPlanApproval(t *testing.T) {
	w := start(t)
	w.requireApprovals(true, false)
	caseID := w.newCase()
	cw, sv := w.as(caseworker), w.as(supervisor)
	plan, _, _ := w.newPlan(caseID)

	_, err := w.cw.UpdateSupportPlan(cw, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Status: active}, UpdateMask: mask("status"), Etag: plan.GetEtag()})
	servertest.WantMessage(t, err, codes.FailedPrecondition, "approval")

	ask := func(comment string) *casebridgev1.Approval {
		t.Helper()
		return must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: planSubject, Comment: comment})).GetApproval()
	}
	req := ask("Marker-Please-review")
	if req.GetStatus() != casebridgev1.ApprovalStatus_APPROVAL_STATUS_PENDING || req.GetPlanId() != plan.GetId() || req.GetRequestComment() != "Marker-Please-review" {
		t.Fatalf("request: %v", req)
	}
	_, err = w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: planSubject})
	wantCode(t, err, codes.FailedPrecondition)
	plan = must(w.cw.GetSupportPlan(cw, &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if plan.GetStatus() != awaiting {
		t.Fatalf("plan after the request: %v", plan.GetStatus())
	}
	_, err = w.cw.UpdateSupportPlan(cw, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Summary: "sneaked in"}, UpdateMask: mask("summary"), Etag: plan.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)

	_, err = w.cw.DecideApproval(cw, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cw.DecideApproval(w.as(otherCW), &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()})
	wantCode(t, err, codes.PermissionDenied) // no supervisor role anywhere
	_, err = w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: reject, Etag: req.GetEtag()})
	servertest.WantField(t, err, "comment")
	rejected := must(w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: reject,
		Comment: "Marker-Add-housing", Etag: req.GetEtag()})).GetApproval()
	if rejected.GetStatus() != casebridgev1.ApprovalStatus_APPROVAL_STATUS_REJECTED || rejected.GetDecidedBy() != supervisor ||
		rejected.GetRequestComment() != "Marker-Please-review" || rejected.GetDecisionComment() != "Marker-Add-housing" {
		t.Fatalf("rejected: %v", rejected)
	}
	_, err = w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: rejected.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)
	if got := must(w.cw.GetSupportPlan(cw, &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan(); got.GetStatus() != draft {
		t.Fatalf("plan after rejection: %v", got.GetStatus())
	}

	req = ask("")
	rid := "decide-1"
	approved := must(w.cw.DecideApproval(servertest.WithRequestID(sv, rid), &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve,
		Comment: "Marker-Good-plan", Etag: req.GetEtag()})).GetApproval()
	if approved.GetStatus() != casebridgev1.ApprovalStatus_APPROVAL_STATUS_APPROVED {
		t.Fatalf("approved: %v", approved)
	}
	ev := w.env.AuditTrail(t, caseID).Check(t, rid, "/casebridge.v1.CaseworkService/DecideApproval", supervisor,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: care})
	w.env.SameTx(t, ev[0], `SELECT xmin FROM approvals WHERE id = $1`, req.GetId())
	plan = must(w.cw.GetSupportPlan(cw, &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if plan.GetStatus() != active || plan.GetActivateTime() == nil {
		t.Fatalf("plan after approval: %v", plan)
	}

	// Nobody decides their own request.
	own := must(w.cw.RequestApproval(sv, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure})).GetApproval()
	_, err = w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: own.GetId(), Decision: approve, Etag: own.GetEtag()})
	servertest.WantMessage(t, err, codes.FailedPrecondition, "another supervisor")

	// The supervisor's inbox: pending requests of their organisation.
	inbox := must(w.cw.ListApprovals(sv, &casebridgev1.ListApprovalsRequest{}))
	if len(inbox.GetApprovals()) != 1 || inbox.GetApprovals()[0].GetId() != own.GetId() {
		t.Fatalf("inbox: %v", inbox.GetApprovals())
	}
	_, err = w.cw.ListApprovals(cw, &casebridgev1.ListApprovalsRequest{})
	wantCode(t, err, codes.PermissionDenied)
	all := must(w.cw.ListApprovals(cw, &casebridgev1.ListApprovalsRequest{CaseId: caseID}))
	if len(all.GetApprovals()) != 3 {
		t.Fatalf("case approvals: %d", len(all.GetApprovals()))
	}
	_, err = w.cw.ListApprovals(w.as(otherCW), &casebridgev1.ListApprovalsRequest{CaseId: caseID})
	wantCode(t, err, codes.NotFound)
	_, err = w.cw.DecideApproval(w.as(supervisor), &casebridgev1.DecideApprovalRequest{Id: "6f1c4e0a-3b8d-4f4e-9a52-0c1d2e3f4a5b", Decision: approve, Etag: "1"})
	wantCode(t, err, codes.NotFound)
}

// TestClosureApproval: where the organisation requires it, a case is
// closed only with an approved closure request, which that closure uses
// up: reopened, the case needs a new approval to close again. Without the
// setting a supervisor closes at once.
func TestClosureApproval(t *testing.T) {
	w := start(t)
	cases := w.env.Cases()
	sv, cw := w.as(supervisor), w.as(caseworker)
	free := w.newCase()
	must(cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: free}))

	w.requireApprovals(false, true)
	caseID := w.newCase()
	_, err := cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})
	servertest.WantMessage(t, err, codes.FailedPrecondition, "approval")
	req := must(w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure, Comment: "Marker-Goals-met"})).GetApproval()
	_, err = cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})
	wantCode(t, err, codes.FailedPrecondition) // asked, not yet approved
	must(w.cw.DecideApproval(sv, &casebridgev1.DecideApprovalRequest{Id: req.GetId(), Decision: approve, Etag: req.GetEtag()}))
	closed := must(cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})).GetCase()
	if closed.GetStatus() != casebridgev1.CaseStatus_CASE_STATUS_CLOSED {
		t.Fatalf("closed: %v", closed.GetStatus())
	}
	list := must(w.cw.ListApprovals(cw, &casebridgev1.ListApprovalsRequest{CaseId: caseID}))
	if len(list.GetApprovals()) != 1 || list.GetApprovals()[0].GetStatus() != casebridgev1.ApprovalStatus_APPROVAL_STATUS_USED ||
		list.GetApprovals()[0].GetUseTime() == nil {
		t.Fatalf("approval after the closure: %v", list.GetApprovals())
	}
	// No casework on a closed case; reopened, it needs a new approval.
	_, err = w.cw.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID, Subject: closure})
	wantCode(t, err, codes.FailedPrecondition)
	must(cases.ReopenCase(sv, &casebridgev1.ReopenCaseRequest{Id: caseID}))
	_, err = cases.CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: caseID})
	wantCode(t, err, codes.FailedPrecondition)
	// An erasure is never held up by the setting.
	must(cases.EraseCase(sv, &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "the person asked"}))
}
