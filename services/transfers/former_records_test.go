package transfers_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// formerRecords are the ids of records shelter-a made on a case while it
// owned it.
type formerRecords struct {
	plan, objective, action, service, approval, task, taskEtag, document string
}

// makeRecords gives case id, as shelter-a, a support plan with an
// objective and an action, a service, an open approval request, a task,
// and a document.
func makeRecords(t *testing.T, env *servertest.Env, id string) formerRecords {
	t.Helper()
	rs := env.As(t, caseworkerRS)
	cw := casebridgev1.NewCaseworkServiceClient(env.Conn)
	var r formerRecords
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	plan, err := cw.CreateSupportPlan(rs, &casebridgev1.CreateSupportPlanRequest{CaseId: id,
		Plan: &casebridgev1.SupportPlan{Summary: "Marker-Plan-8812", ReviewDate: "2030-06-01"}})
	must(err)
	r.plan = plan.GetPlan().GetId()
	obj, err := cw.AddObjective(rs, &casebridgev1.AddObjectiveRequest{PlanId: r.plan,
		Objective: &casebridgev1.Objective{Description: "Marker-Objective-8812", TargetDate: "2030-05-01"}})
	must(err)
	r.objective = obj.GetObjective().GetId()
	act, err := cw.AddAction(rs, &casebridgev1.AddActionRequest{ObjectiveId: r.objective,
		Action: &casebridgev1.Action{Description: "Marker-Action-8812", PlannedDate: "2030-04-01"}})
	must(err)
	r.action = act.GetAction().GetId()
	svc, err := cw.AddService(rs, &casebridgev1.AddServiceRequest{CaseId: id, Service: &casebridgev1.SupportService{
		Kind: casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE,
		PlannedDate: "2030-04-02", Description: "Marker-Service-8812"}})
	must(err)
	r.service = svc.GetService().GetId()
	ap, err := cw.RequestApproval(rs, &casebridgev1.RequestApprovalRequest{CaseId: id,
		Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN, Comment: "Marker-Approval-8812"})
	must(err)
	r.approval = ap.GetApproval().GetId()
	tk, err := casebridgev1.NewTaskServiceClient(env.Conn).CreateTask(rs, &casebridgev1.CreateTaskRequest{CaseId: id,
		Title: "Marker-Task-8812", DueTime: timestamppb.New(time.Now().Add(48 * time.Hour))})
	must(err)
	r.task, r.taskEtag = tk.GetTask().GetId(), tk.GetTask().GetEtag()
	doc, err := servertest.Upload(rs, env.Conn, &casebridgev1.DocumentMetadata{CaseId: id,
		DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Title: "Marker-Doc-8812", Kind: "assessment",
		DocumentDate: "2025-03-14", FileName: "assessment.txt"}, bytes.NewReader([]byte("Marker-DocBody-8812")))
	must(err)
	r.document = doc.GetId()
	return r
}

// TestFormerOwnerNamingItsRecordsGetsNotFound: shelter-a made a support
// plan, services, an approval request, a task and a document on a
// case, then transferred the case to cso-c. Whether or not
// it follows the case under the person's follow-up consent, every request
// naming one of those records by id is NotFound, exactly as for a record
// that never existed: a follower sees the case's status, and a refusal
// (PermissionDenied) would confirm that the record is still there.
func TestFormerOwnerNamingItsRecordsGetsNotFound(t *testing.T) {
	env := servertest.Start(t)
	for _, follows := range []bool{true, false} {
		name := "without follow-up consent"
		if follows {
			name = "following the case"
		}
		t.Run(name, func(t *testing.T) {
			id := newCase(t, env)
			if follows {
				consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP, "shelter-a")
			}
			r := makeRecords(t, env, id)
			transferToCSO(t, env, id)
			if follows {
				if _, err := env.Cases().GetCase(env.As(t, caseworkerRS), &casebridgev1.GetCaseRequest{Id: id}); err != nil {
					t.Fatalf("the follower must still see the case: %v", err)
				}
			}
			checkRecordsHidden(t, env, caseworkerRS, r)
			checkRecordsHidden(t, env, supervisorRS, r)
		})
	}
}

// checkRecordsHidden asserts that user gets NotFound for every request
// naming one of r's records.
func checkRecordsHidden(t *testing.T, env *servertest.Env, user string, r formerRecords) {
	t.Helper()
	ctx := env.As(t, user)
	cw := casebridgev1.NewCaseworkServiceClient(env.Conn)
	tasks := casebridgev1.NewTaskServiceClient(env.Conn)
	docs := casebridgev1.NewDocumentServiceClient(env.Conn)
	mask := func(p string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: []string{p}} }
	calls := map[string]func() error{
		"UpdateSupportPlan": func() error {
			_, err := cw.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{Plan: &casebridgev1.SupportPlan{Id: r.plan, Summary: "x"},
				UpdateMask: mask("summary"), Etag: "1"})
			return err
		},
		"AddObjective": func() error {
			_, err := cw.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: r.plan, Objective: &casebridgev1.Objective{Description: "x"}})
			return err
		},
		"UpdateObjective": func() error {
			_, err := cw.UpdateObjective(ctx, &casebridgev1.UpdateObjectiveRequest{Objective: &casebridgev1.Objective{Id: r.objective, Description: "x"},
				UpdateMask: mask("description"), Etag: "1"})
			return err
		},
		"AddAction": func() error {
			_, err := cw.AddAction(ctx, &casebridgev1.AddActionRequest{ObjectiveId: r.objective, Action: &casebridgev1.Action{Description: "x"}})
			return err
		},
		"UpdateAction": func() error {
			_, err := cw.UpdateAction(ctx, &casebridgev1.UpdateActionRequest{Action: &casebridgev1.Action{Id: r.action, Description: "x"},
				UpdateMask: mask("description"), Etag: "1"})
			return err
		},
		"UpdateService": func() error {
			_, err := cw.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{Service: &casebridgev1.SupportService{Id: r.service, Description: "x"},
				UpdateMask: mask("description"), Etag: "1"})
			return err
		},
		"DecideApproval": func() error {
			_, err := cw.DecideApproval(ctx, &casebridgev1.DecideApprovalRequest{Id: r.approval,
				Decision: casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE, Etag: "1"})
			return err
		},
		"GetTask": func() error {
			_, err := tasks.GetTask(ctx, &casebridgev1.GetTaskRequest{Id: r.task})
			return err
		},
		"CompleteTask": func() error {
			_, err := tasks.CompleteTask(ctx, &casebridgev1.CompleteTaskRequest{Id: r.task, Etag: r.taskEtag})
			return err
		},
		"SnoozeTask": func() error {
			_, err := tasks.SnoozeTask(ctx, &casebridgev1.SnoozeTaskRequest{Id: r.task, Etag: r.taskEtag,
				Until: timestamppb.New(time.Now().Add(24 * time.Hour))})
			return err
		},
		"GetDocument": func() error {
			_, err := docs.GetDocument(ctx, &casebridgev1.GetDocumentRequest{Id: r.document})
			return err
		},
		"DownloadDocument": func() error {
			_, _, err := servertest.Download(ctx, env.Conn, r.document)
			return err
		},
		"DeleteDocument": func() error {
			_, err := docs.DeleteDocument(ctx, &casebridgev1.DeleteDocumentRequest{Id: r.document})
			return err
		},
	}
	if user == caseworkerRS {
		// No caseworker decides approvals: the refusal names no case and
		// is the same for any id.
		delete(calls, "DecideApproval")
	}
	for name, call := range calls {
		err := call()
		if status.Code(err) != codes.NotFound {
			t.Errorf("%s: %s naming a record shelter-a made before the transfer: %v, want NotFound", user, name, err)
		}
	}
	// The same call naming a record that never existed, for comparison.
	_, err := tasks.GetTask(ctx, &casebridgev1.GetTaskRequest{Id: uuid.NewString()})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetTask of an unknown id: %v", err)
	}
}
