package casework_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	orgAdmin   = "admin@shelter-a"
	lawyer     = "lawyer@legal-b"
	otherCW    = "caseworker@cso-c"
)

type world struct {
	t   *testing.T
	env *servertest.Env
	cw  casebridgev1.CaseworkServiceClient
}

func start(t *testing.T) *world {
	env := servertest.Start(t)
	return &world{t: t, env: env, cw: casebridgev1.NewCaseworkServiceClient(env.Conn)}
}

func (w *world) as(subject string) context.Context { return w.env.As(w.t, subject) }

func (w *world) newCase() string { return w.env.NewMarkedCase(w.t) }

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	return servertest.WantCode(t, err, want)
}

// must returns v, or ends the test binary with err: a fixture that
// fails leaves nothing worth testing.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("fixture call failed: %v", err))
	}
	return v
}

// newPlan starts a draft plan on caseID with a summary and one objective
// with one action.
func (w *world) newPlan(caseID string) (*casebridgev1.SupportPlan, *casebridgev1.Objective, *casebridgev1.Action) {
	w.t.Helper()
	ctx := w.as(caseworker)
	plan := must(w.cw.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID,
		Plan: &casebridgev1.SupportPlan{Summary: "Marker-Summary-77: needs safe housing", ReviewDate: "2030-06-01"}})).GetPlan()
	obj := must(w.cw.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(),
		Objective: &casebridgev1.Objective{Description: "Marker-Objective-77", TargetDate: "2030-05-01"}})).GetObjective()
	act := must(w.cw.AddAction(ctx, &casebridgev1.AddActionRequest{ObjectiveId: obj.GetId(),
		Action: &casebridgev1.Action{Description: "Marker-Action-77", PlannedDate: "2030-04-01"}})).GetAction()
	return plan, obj, act
}

// requireApprovals sets shelter-a's approval settings as its org admin.
func (w *world) requireApprovals(plans, closures bool) {
	w.t.Helper()
	ctx := w.as(orgAdmin)
	orgs := w.env.Organizations()
	o := must(orgs.GetOrganization(ctx, &casebridgev1.GetOrganizationRequest{Id: "shelter-a"})).GetOrganization()
	got := must(orgs.UpdateOrganization(ctx, &casebridgev1.UpdateOrganizationRequest{
		Organization: &casebridgev1.Organization{Id: "shelter-a", Approvals: &casebridgev1.ApprovalSettings{SupportPlans: plans, CaseClosures: closures}},
		UpdateMask:   mask("approvals.support_plans", "approvals.case_closures"), Etag: o.GetEtag()})).GetOrganization()
	if got.GetApprovals().GetSupportPlans() != plans || got.GetApprovals().GetCaseClosures() != closures {
		w.t.Fatalf("approval settings: %v", got.GetApprovals())
	}
}

func wantFieldErr(t *testing.T, err error, field string) {
	t.Helper()
	servertest.WantField(t, err, field)
}
