package casework_test

import (
	"context"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestBadInput: every malformed request is InvalidArgument naming the
// offending field, before anything is written.
func TestBadInput(t *testing.T) {
	w := start(t)
	caseID := w.newCase()
	plan, obj, act := w.newPlan(caseID)
	svc := must(w.cw.AddService(w.as(caseworker), &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{
		Kind: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE}})).GetService()
	shelter := casebridgev1.ServiceKind_SERVICE_KIND_SHELTER
	inHouse := casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE
	c := w.cw
	for _, tc := range []struct {
		name, field string
		call        func(ctx context.Context) error
	}{
		{"case id not a uuid", "case_id", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: "x", Plan: &casebridgev1.SupportPlan{}})
			return err
		}},
		{"no plan", "plan", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID})
			return err
		}},
		{"review date not a date", "plan.review_date", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, Plan: &casebridgev1.SupportPlan{ReviewDate: "next week"}})
			return err
		}},
		{"review date not a calendar day", "plan.review_date", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, Plan: &casebridgev1.SupportPlan{ReviewDate: "2026-02-30"}})
			return err
		}},
		{"plan created active", "plan.status", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, Plan: &casebridgev1.SupportPlan{Status: active}})
			return err
		}},
		{"request id not a uuid", "request_id", func(ctx context.Context) error {
			_, err := c.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID, Plan: &casebridgev1.SupportPlan{}, RequestId: "r1"})
			return err
		}},
		{"unknown mask path", "update_mask", func(ctx context.Context) error {
			_, err := c.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{Plan: &casebridgev1.SupportPlan{Id: plan.GetId()}, UpdateMask: mask("created_by"), Etag: plan.GetEtag()})
			return err
		}},
		{"status named, not given", "plan.status", func(ctx context.Context) error {
			_, err := c.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{Plan: &casebridgev1.SupportPlan{Id: plan.GetId()}, UpdateMask: mask("status"), Etag: plan.GetEtag()})
			return err
		}},
		{"no etag", "etag", func(ctx context.Context) error {
			_, err := c.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{Plan: &casebridgev1.SupportPlan{Id: plan.GetId()}, UpdateMask: mask("summary")})
			return err
		}},
		{"objective without description", "objective", func(ctx context.Context) error {
			_, err := c.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(), Objective: &casebridgev1.Objective{}})
			return err
		}},
		{"objective summary too long", "objective.description", func(ctx context.Context) error {
			long := make([]byte, 2001)
			for i := range long {
				long[i] = 'a'
			}
			_, err := c.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(), Objective: &casebridgev1.Objective{Description: string(long)}})
			return err
		}},
		{"objective emptied", "objective.description", func(ctx context.Context) error {
			_, err := c.UpdateObjective(ctx, &casebridgev1.UpdateObjectiveRequest{Objective: &casebridgev1.Objective{Id: obj.GetId()}, UpdateMask: mask("description"), Etag: obj.GetEtag()})
			return err
		}},
		{"action added with an actual date", "action.actual_date", func(ctx context.Context) error {
			_, err := c.AddAction(ctx, &casebridgev1.AddActionRequest{ObjectiveId: obj.GetId(), Action: &casebridgev1.Action{Description: "x", ActualDate: "2026-01-01"}})
			return err
		}},
		{"action done in the future", "action.actual_date", func(ctx context.Context) error {
			_, err := c.UpdateAction(ctx, &casebridgev1.UpdateActionRequest{Action: &casebridgev1.Action{Id: act.GetId(), ActualDate: "2999-01-01"}, UpdateMask: mask("actual_date"), Etag: act.GetEtag()})
			return err
		}},
		{"service without kind", "service.kind", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Provider: inHouse}})
			return err
		}},
		{"service without provider", "service.provider", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: shelter}})
			return err
		}},
		{"service kind unknown", "service.kind", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: 99, Provider: inHouse}})
			return err
		}},
		{"service added in progress", "service.status", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: shelter, Provider: inHouse,
				Status: casebridgev1.ServiceStatus_SERVICE_STATUS_IN_PROGRESS}})
			return err
		}},
		{"planned service with a delivered date", "service.delivered_date", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: shelter, Provider: inHouse, DeliveredDate: "2026-01-01"}})
			return err
		}},
		{"delivered in the future", "service.delivered_date", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: shelter, Provider: inHouse,
				Status: casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED, DeliveredDate: "2999-01-01"}})
			return err
		}},
		{"in-house service naming a referral", "service.referral_id", func(ctx context.Context) error {
			_, err := c.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{Kind: shelter, Provider: inHouse,
				ReferralId: "6f1c4e0a-3b8d-4f4e-9a52-0c1d2e3f4a5b"}})
			return err
		}},
		{"referral that is not the case's", "service.referral_id", func(ctx context.Context) error {
			_, err := c.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{Service: &casebridgev1.SupportService{Id: svc.GetId(),
				Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_REFERRAL, ReferralId: "6f1c4e0a-3b8d-4f4e-9a52-0c1d2e3f4a5b"},
				UpdateMask: mask("provider", "referral_id"), Etag: svc.GetEtag()})
			return err
		}},
		{"list page token forged", "page_token", func(ctx context.Context) error {
			_, err := c.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: caseID, PageToken: "forged"})
			return err
		}},
		{"approval without subject", "subject", func(ctx context.Context) error {
			_, err := c.RequestApproval(ctx, &casebridgev1.RequestApprovalRequest{CaseId: caseID})
			return err
		}},
		{"decision unspecified", "decision", func(ctx context.Context) error {
			_, err := c.DecideApproval(ctx, &casebridgev1.DecideApprovalRequest{Id: "6f1c4e0a-3b8d-4f4e-9a52-0c1d2e3f4a5b", Etag: "1"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := w.as(supervisor)
			wantFieldErr(t, tc.call(ctx), tc.field)
		})
	}
	// Nothing above was written: the plan, objective, action and service are as they were.
	got := must(w.cw.GetSupportPlan(w.as(caseworker), &casebridgev1.GetSupportPlanRequest{CaseId: caseID})).GetPlan()
	if got.GetEtag() != plan.GetEtag() || got.GetObjectives()[0].GetEtag() != obj.GetEtag() ||
		len(got.GetObjectives()) != 1 || got.GetObjectives()[0].GetActions()[0].GetEtag() != act.GetEtag() {
		t.Fatalf("a refused request changed the plan: %v", got)
	}
}
