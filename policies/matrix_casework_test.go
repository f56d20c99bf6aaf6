package policies_test

import (
	"context"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The casework fixtures are made by shelter-a's caseworker on a fresh
// open case of shelter-a; the other organisation (cso-c) has no referral
// of it.

func (w *world) casework() casebridgev1.CaseworkServiceClient {
	return casebridgev1.NewCaseworkServiceClient(w.env.Conn)
}

func init() { mergeProbes(caseworkProbes) }

// newPlan is a draft support plan with one objective and one action.
func (w *world) newPlan() fixture {
	fx := w.newCase("open")
	cw, c := w.as("caseworker@shelter-a"), w.casework()
	p, err := c.CreateSupportPlan(cw, &casebridgev1.CreateSupportPlanRequest{CaseId: fx.caseID,
		Plan: &casebridgev1.SupportPlan{Summary: "needs assessed", ReviewDate: "2030-01-01"}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	o, err := c.AddObjective(cw, &casebridgev1.AddObjectiveRequest{PlanId: p.GetPlan().GetId(), Objective: &casebridgev1.Objective{Description: "safe housing"}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	a, err := c.AddAction(cw, &casebridgev1.AddActionRequest{ObjectiveId: o.GetObjective().GetId(), Action: &casebridgev1.Action{Description: "visit"}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.planID, fx.objectiveID, fx.actionID, fx.etag = p.GetPlan().GetId(), o.GetObjective().GetId(), a.GetAction().GetId(), p.GetPlan().GetEtag()
	return fx
}

// newService is a planned in-house medical service.
func (w *world) newService() fixture {
	fx := w.newCase("open")
	s, err := w.casework().AddService(w.as("caseworker@shelter-a"), &casebridgev1.AddServiceRequest{CaseId: fx.caseID,
		Service: &casebridgev1.SupportService{Kind: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.serviceID, fx.etag = s.GetService().GetId(), s.GetService().GetEtag()
	return fx
}

// newApproval is a caseworker's pending request to close a fresh case.
func (w *world) newApproval() fixture {
	fx := w.newCase("open")
	a, err := w.casework().RequestApproval(w.as("caseworker@shelter-a"), &casebridgev1.RequestApprovalRequest{CaseId: fx.caseID,
		Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_CASE_CLOSURE})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.approvalID, fx.etag = a.GetApproval().GetId(), a.GetApproval().GetEtag()
	return fx
}

func paths(p ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: p} }

var caseworkProbes = map[string]probe{
	"CaseworkService/CreateSupportPlan": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: fx.caseID, Plan: &casebridgev1.SupportPlan{Summary: "s"}})
		return err
	}},
	"CaseworkService/GetSupportPlan": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: fx.caseID})
		return err
	}},
	"CaseworkService/UpdateSupportPlan": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{
			Plan: &casebridgev1.SupportPlan{Id: fx.planID, ReviewDate: "2031-01-01"}, UpdateMask: paths("review_date"), Etag: fx.etag})
		return err
	}},
	"CaseworkService/AddObjective": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: fx.planID, Objective: &casebridgev1.Objective{Description: "work"}})
		return err
	}},
	"CaseworkService/UpdateObjective": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().UpdateObjective(ctx, &casebridgev1.UpdateObjectiveRequest{
			Objective: &casebridgev1.Objective{Id: fx.objectiveID, TargetDate: "2031-01-01"}, UpdateMask: paths("target_date"), Etag: "1"})
		return err
	}},
	"CaseworkService/AddAction": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().AddAction(ctx, &casebridgev1.AddActionRequest{ObjectiveId: fx.objectiveID, Action: &casebridgev1.Action{Description: "call"}})
		return err
	}},
	"CaseworkService/UpdateAction": {(*world).newPlan, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().UpdateAction(ctx, &casebridgev1.UpdateActionRequest{
			Action: &casebridgev1.Action{Id: fx.actionID, PlannedDate: "2031-01-01"}, UpdateMask: paths("planned_date"), Etag: "1"})
		return err
	}},
	"CaseworkService/AddService": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: fx.caseID, Service: &casebridgev1.SupportService{
			Kind: casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE}})
		return err
	}},
	"CaseworkService/UpdateService": {(*world).newService, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().UpdateService(ctx, &casebridgev1.UpdateServiceRequest{
			Service: &casebridgev1.SupportService{Id: fx.serviceID, PlannedDate: "2031-01-01"}, UpdateMask: paths("planned_date"), Etag: fx.etag})
		return err
	}},
	"CaseworkService/ListServices": {(*world).newService, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: fx.caseID})
		return err
	}},
	"CaseworkService/RequestApproval": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().RequestApproval(ctx, &casebridgev1.RequestApprovalRequest{CaseId: fx.caseID,
			Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_CASE_CLOSURE})
		return err
	}},
	"CaseworkService/DecideApproval": {(*world).newApproval, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().DecideApproval(ctx, &casebridgev1.DecideApprovalRequest{Id: fx.approvalID,
			Decision: casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE, Etag: fx.etag})
		return err
	}},
	"CaseworkService/ListApprovals": {(*world).newApproval, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.casework().ListApprovals(ctx, &casebridgev1.ListApprovalsRequest{CaseId: fx.caseID})
		return err
	}},
}
