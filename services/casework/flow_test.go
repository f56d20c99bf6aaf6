package casework_test

import (
	"bytes"
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	active    = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE
	completed = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_COMPLETED
	draft     = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_DRAFT
	awaiting  = casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_AWAITING_APPROVAL
	care      = []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_CARE}
)

// TestSupportPlanFlow: a caseworker makes a plan with an objective and an
// action, reads it back decrypted (an audited read of the care class),
// activates it, records the action done and completes the plan; the texts
// are sealed in PostgreSQL, a stale etag is Aborted, a second plan in
// progress and changes to a completed plan are FailedPrecondition, and a
// retried create makes one plan.
func TestSupportPlanFlow(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	ctx := w.as(caseworker)
	plan, obj, act := w.newPlan(caseID)
	if plan.GetStatus() != draft || plan.GetReviewDate() != "2030-06-01" || plan.GetSummary() == "" {
		t.Fatalf("new plan: %v", plan)
	}

	var sealedTexts [][]byte
	for _, table := range []string{"support_plans", "support_plan_objectives", "support_plan_actions"} {
		var ct []byte
		if err := w.env.Pool.QueryRow(context.Background(), `SELECT texts FROM `+table+` WHERE case_id = $1`, caseID).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		sealedTexts = append(sealedTexts, ct)
	}
	for i, ct := range sealedTexts {
		if len(ct) == 0 || bytes.Contains(ct, []byte("Marker-")) {
			t.Fatalf("texts %d are not sealed: %q", i, ct)
		}
	}

	rid := "get-plan-1"
	got := must(w.cw.GetSupportPlan(servertest.WithRequestID(ctx, rid), &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if got.GetSummary() != plan.GetSummary() || len(got.GetObjectives()) != 1 ||
		got.GetObjectives()[0].GetDescription() != "Marker-Objective-77" ||
		len(got.GetObjectives()[0].GetActions()) != 1 || got.GetObjectives()[0].GetActions()[0].GetDescription() != "Marker-Action-77" {
		t.Fatalf("plan read back: %v", got)
	}
	w.env.AuditTrail(t, caseID).Check(t, rid, "/casebridge.v1.CaseworkService/GetSupportPlan", caseworker,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: care})

	_, err := w.cw.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, Plan: &casebridgev1.SupportPlan{}})
	wantCode(t, err, codes.FailedPrecondition)

	_, err = w.cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Status: active}, UpdateMask: mask("status"), Etag: "999"})
	wantCode(t, err, codes.Aborted)
	plan = must(w.cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Status: active}, UpdateMask: mask("status"), Etag: plan.GetEtag()})).GetPlan()
	if plan.GetStatus() != active || plan.GetActivateTime() == nil {
		t.Fatalf("activated plan: %v", plan)
	}
	_, err = w.cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Status: draft}, UpdateMask: mask("status"), Etag: plan.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)

	done := casebridgev1.ActionStatus_ACTION_STATUS_DONE
	_, err = w.cw.UpdateAction(ctx, &casebridgev1.UpdateActionRequest{
		Action: &casebridgev1.Action{Id: act.GetId(), Status: done}, UpdateMask: mask("status"), Etag: act.GetEtag()})
	servertest.WantField(t, err, "action.actual_date")
	act = must(w.cw.UpdateAction(ctx, &casebridgev1.UpdateActionRequest{
		Action: &casebridgev1.Action{Id: act.GetId(), Status: done, ActualDate: "2026-01-10"}, UpdateMask: mask("status", "actual_date"), Etag: act.GetEtag()})).GetAction()
	if act.GetStatus() != done || act.GetActualDate() != "2026-01-10" || act.GetDescription() != "Marker-Action-77" {
		t.Fatalf("done action: %v", act)
	}
	obj = must(w.cw.UpdateObjective(ctx, &casebridgev1.UpdateObjectiveRequest{
		Objective:  &casebridgev1.Objective{Id: obj.GetId(), Status: casebridgev1.ObjectiveStatus_OBJECTIVE_STATUS_ACHIEVED},
		UpdateMask: mask("status"), Etag: obj.GetEtag()})).GetObjective()
	plan = must(w.cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Status: completed}, UpdateMask: mask("status"), Etag: plan.GetEtag()})).GetPlan()
	_, err = w.cw.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(), Objective: &casebridgev1.Objective{Description: "late"}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = w.cw.UpdateObjective(ctx, &casebridgev1.UpdateObjectiveRequest{
		Objective: &casebridgev1.Objective{Id: obj.GetId(), Description: "changed"}, UpdateMask: mask("description"), Etag: obj.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)

	// A completed plan leaves room for the next one; a retried create makes it once.
	req := &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, RequestId: "6f1c4e0a-3b8d-4f4e-9a52-0c1d2e3f4a5b",
		Plan: &casebridgev1.SupportPlan{Summary: "second plan"}}
	first := must(w.cw.CreateSupportPlan(ctx, req)).GetPlan()
	again := must(w.cw.CreateSupportPlan(ctx, req)).GetPlan()
	if first.GetId() != again.GetId() || again.GetSummary() != "second plan" {
		t.Fatalf("retried create: %s then %s (%q)", first.GetId(), again.GetId(), again.GetSummary())
	}
	// The request id is the case's: on another case it makes that case's plan.
	other := must(w.cw.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: w.newCase(), RequestId: req.GetRequestId(), Plan: &casebridgev1.SupportPlan{}})).GetPlan()
	if other.GetId() == first.GetId() {
		t.Fatal("a request id of one case handed back its plan for another case")
	}
	latest := must(w.cw.GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if latest.GetId() != first.GetId() {
		t.Fatalf("latest plan %s, want %s", latest.GetId(), first.GetId())
	}
	old := must(w.cw.GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: caseID, Id: plan.GetId()})).GetPlan()
	if old.GetStatus() != completed {
		t.Fatalf("old plan: %v", old)
	}
}

// TestServices: services in-house and by referral, planned then delivered
// with the date the indicators use; the referral must be one of the case's
// for the same kind of service, and accepted before it delivers.
func TestServices(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	ctx := w.as(caseworker)
	psy := casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL
	inHouse := casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE
	byRef := casebridgev1.ServiceProvider_SERVICE_PROVIDER_REFERRAL
	delivered := casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED

	svc := must(w.cw.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{
		Kind: casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, Provider: inHouse, PlannedDate: "2026-01-05", Description: "Marker-Room-12"}})).GetService()
	if svc.GetStatus() != casebridgev1.ServiceStatus_SERVICE_STATUS_PLANNED || svc.GetDescription() != "Marker-Room-12" {
		t.Fatalf("new service: %v", svc)
	}
	_, err := w.cw.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{
		Service: &casebridgev1.SupportService{Id: svc.GetId(), Status: delivered}, UpdateMask: mask("status"), Etag: svc.GetEtag()})
	servertest.WantField(t, err, "service.delivered_date")
	svc = must(w.cw.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{
		Service:    &casebridgev1.SupportService{Id: svc.GetId(), Status: delivered, DeliveredDate: "2026-01-06", Outcome: "Marker-Settled-in"},
		UpdateMask: mask("status", "delivered_date", "outcome"), Etag: svc.GetEtag()})).GetService()
	if svc.GetDeliveredDate() != "2026-01-06" || svc.GetOutcome() != "Marker-Settled-in" || svc.GetDescription() != "Marker-Room-12" {
		t.Fatalf("delivered service: %v", svc)
	}
	_, err = w.cw.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{
		Service: &casebridgev1.SupportService{Id: svc.GetId(), Status: casebridgev1.ServiceStatus_SERVICE_STATUS_PLANNED}, UpdateMask: mask("status"), Etag: svc.GetEtag()})
	wantCode(t, err, codes.FailedPrecondition)

	ref := w.env.ReferTo(t, caseID, "cso-c", otherCW, psy, casebridgev1.DataClass_DATA_CLASS_CARE)
	_, err = w.cw.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{
		Kind: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, Provider: byRef, ReferralId: ref.GetId()}})
	servertest.WantField(t, err, "service.referral_id")
	_, err = w.cw.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: psy, Provider: byRef}})
	servertest.WantField(t, err, "service.referral_id")
	byReferral := must(w.cw.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{
		Kind: psy, Provider: byRef, ReferralId: ref.GetId(), Status: delivered, DeliveredDate: "2026-01-20"}})).GetService()
	if byReferral.GetReferralId() != ref.GetId() {
		t.Fatalf("service by referral: %v", byReferral)
	}

	rid := "list-services-1"
	list := must(w.cw.ListServices(servertest.WithRequestID(ctx, rid), &casebridgev1.ListServicesRequest{CaseId: caseID, PageSize: 1}))
	if len(list.GetServices()) != 1 || list.GetServices()[0].GetId() != svc.GetId() || list.GetNextPageToken() == "" {
		t.Fatalf("first page: %v", list)
	}
	w.env.AuditTrail(t, caseID).Check(t, rid, "/casebridge.v1.CaseworkService/ListServices", caseworker,
		servertest.AuditExpect{Code: "OK", Org: "shelter-a", Classes: care})
	list = must(w.cw.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: caseID, PageSize: 1, PageToken: list.GetNextPageToken()}))
	if len(list.GetServices()) != 1 || list.GetServices()[0].GetId() != byReferral.GetId() || list.GetNextPageToken() != "" {
		t.Fatalf("second page: %v", list)
	}
}

// TestReceiverNeedsCare: an organisation working on the case by referral
// reads the plan and services only when its referral grants the care
// class, never changes them; an organisation with no referral does not
// see the case at all.
func TestReceiverNeedsCare(t *testing.T) {
	w := start(t)
	withCare, without, unshared := w.newCase(), w.newCase(), w.newCase()
	for _, id := range []string{withCare, without, unshared} {
		w.newPlan(id)
		must(w.cw.AddService(w.as(caseworker), &casebridgev1.AddServiceRequest{CaseId: id, Service: &casebridgev1.SupportService{
			Kind: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE}}))
	}
	psy := casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL
	w.env.ReferTo(t, withCare, "cso-c", otherCW, psy, casebridgev1.DataClass_DATA_CLASS_CARE)
	w.env.ReferTo(t, without, "cso-c", otherCW, psy, casebridgev1.DataClass_DATA_CLASS_IDENTITY)
	ctx := w.as(otherCW)

	rid := "receiver-get"
	plan := must(w.cw.GetSupportPlan(servertest.WithRequestID(ctx, rid), &casebridgev1.GetSupportPlanRequest{CaseId: withCare})).GetPlan()
	if plan.GetSummary() == "" {
		t.Fatalf("receiver with care reads no summary: %v", plan)
	}
	w.env.AuditTrail(t, withCare).Check(t, rid, "/casebridge.v1.CaseworkService/GetSupportPlan", otherCW,
		servertest.AuditExpect{Code: "OK", Org: "cso-c", Classes: care})
	must(w.cw.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: withCare}))
	_, err := w.cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
		Plan: &casebridgev1.SupportPlan{Id: plan.GetId(), Summary: "x"}, UpdateMask: mask("summary"), Etag: plan.GetEtag()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cw.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: withCare, Service: &casebridgev1.SupportService{
		Kind: psy, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE}})
	wantCode(t, err, codes.PermissionDenied)

	_, err = w.cw.GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: without})
	wantCode(t, err, codes.PermissionDenied)
	_, err = w.cw.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: without})
	wantCode(t, err, codes.PermissionDenied)

	_, err = w.cw.GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: unshared})
	wantCode(t, err, codes.NotFound)
	_, err = w.cw.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: unshared})
	wantCode(t, err, codes.NotFound)
	// A lawyer's role reads no care data at all.
	_, err = w.cw.GetSupportPlan(w.as(lawyer), &casebridgev1.GetSupportPlanRequest{CaseId: withCare})
	wantCode(t, err, codes.PermissionDenied)
}
