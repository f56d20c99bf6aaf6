package tasks_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/server"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// TestSystemTasksAreRaisedOnceByTheScheduler: the periodic task sweep, run
// by the server's scheduler, raises a task for a consent about to expire, a
// referral left pending, a hearing tomorrow and a deadline coming up — once
// each, however often it runs — for the case's owner, with no text.
func TestSystemTasksAreRaisedOnceByTheScheduler(t *testing.T) {
	w := start(t, func(c *server.Config) { c.TaskSweep = time.Second })
	cw := w.as(caseworker)
	cs, rs := w.env.Cases(), casebridgev1.NewReferralServiceClient(w.env.Conn)
	ps := casebridgev1.NewProceedingServiceClient(w.env.Conn)

	expiring := w.newCase()
	consent, err := cs.RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: expiring,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient:  &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "cso-c"},
		ExpireTime: timestamppb.New(time.Now().Add(3 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}

	pending := w.newCase()
	if _, err := cs.RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: pending,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "cso-c"}}); err != nil {
		t.Fatal(err)
	}
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: pending, ToOrganizationId: "cso-c",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_CARE}})
	if err != nil {
		t.Fatal(err)
	}
	// Sent ten days ago.
	if _, err := w.env.Pool.Exec(cw, `UPDATE referrals SET create_time = now() - interval '10 days' WHERE id = $1`, ref.GetReferral().GetId()); err != nil {
		t.Fatal(err)
	}

	court := w.env.ReferredCase(t)
	proc := w.env.NewProceeding(t, court, &casebridgev1.Proceeding{Kind: casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, CourtTimeZone: "Europe/Belgrade"})
	lw := w.as(lawyer)
	hearing, err := ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(20 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}})
	if err != nil {
		t.Fatal(err)
	}
	deadline, err := ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: proc.GetId(), Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING}})
	if err != nil {
		t.Fatal(err)
	}
	// Not due yet: a hearing next month raises nothing.
	if _, err := ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: proc.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN}}); err != nil {
		t.Fatal(err)
	}

	// An active support plan due for review in five days (within the
	// default seven), and one due next month.
	reviewed := w.newCase()
	plan := "5d0c7e35-8c1e-4d5b-9a7e-2f3f1c9b6a01"
	if _, err := w.env.Pool.Exec(cw, `INSERT INTO support_plans (id, case_id, status, review_date, created_by) VALUES
		($1, $2, $3, current_date + 5, 'caseworker@shelter-a'),
		('5d0c7e35-8c1e-4d5b-9a7e-2f3f1c9b6a02', $4, $3, current_date + 40, 'caseworker@shelter-a')`,
		plan, reviewed, int16(casebridgev1.SupportPlanStatus_SUPPORT_PLAN_STATUS_ACTIVE), w.newCase()); err != nil {
		t.Fatal(err)
	}

	want := map[string]casebridgev1.TaskKind{
		plan:                           casebridgev1.TaskKind_TASK_KIND_PLAN_REVIEW_DUE,
		consent.GetConsent().GetId():   casebridgev1.TaskKind_TASK_KIND_CONSENT_EXPIRING,
		ref.GetReferral().GetId():      casebridgev1.TaskKind_TASK_KIND_REFERRAL_PENDING,
		hearing.GetHearing().GetId():   casebridgev1.TaskKind_TASK_KIND_HEARING_TOMORROW,
		deadline.GetDeadline().GetId(): casebridgev1.TaskKind_TASK_KIND_DEADLINE_DUE,
	}
	var got []*casebridgev1.Task
	until := time.Now().Add(20 * time.Second)
	for {
		r, err := w.ts.ListTasks(cw, &casebridgev1.ListTasksRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		got = r.GetTasks()
		if len(got) >= len(want) || time.Now().After(until) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, tk := range got {
		// A caseworker does not see what a court task is about (see
		// TestCourtTasksShowCourtDetailsOnlyToLegalReaders): read it here.
		if tk.GetSourceId() == "" {
			if err := w.env.Pool.QueryRow(cw, `SELECT source_id::text FROM tasks WHERE id = $1`, tk.GetId()).Scan(&tk.SourceId); err != nil {
				t.Fatal(err)
			}
		}
		if kind, ok := want[tk.GetSourceId()]; !ok || kind != tk.GetKind() {
			t.Errorf("unexpected task %v about %s", tk.GetKind(), tk.GetSourceId())
		}
		if tk.GetOrganizationId() != "shelter-a" || tk.GetTitle() != "" || tk.GetCreatedBy() == "" {
			t.Errorf("system task %v: org %q, title %q, by %q", tk.GetKind(), tk.GetOrganizationId(), tk.GetTitle(), tk.GetCreatedBy())
		}
		seen[tk.GetSourceId()]++
	}
	for src, kind := range want {
		if seen[src] != 1 {
			t.Errorf("%v about %s raised %d times, want once", kind, src, seen[src])
		}
	}
	// Sweeping again (as another replica would) raises nothing new.
	n, err := tasks.RaiseTasks(t.Context(), w.env.Pool)
	if err != nil || n != 0 {
		t.Fatalf("a second sweep raised %d tasks (%v), want 0", n, err)
	}
}
