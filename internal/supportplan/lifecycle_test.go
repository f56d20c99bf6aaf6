package supportplan

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// checkTable checks a lifecycle against the whole table of allowed moves:
// every pair of statuses is either allowed or FailedPrecondition naming
// both.
func checkTable[S enumStatus](t *testing.T, l Lifecycle[S], all []S, allowed map[S][]S) {
	t.Helper()
	for _, from := range all {
		for _, to := range all {
			want := from == to
			for _, a := range allowed[from] {
				want = want || a == to
			}
			err := l.Check(from, to)
			switch {
			case want && err != nil:
				t.Errorf("%s %s → %s: unexpected %v", l.noun, l.Word(from), l.Word(to), err)
			case !want:
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Errorf("%s %s → %s: want FailedPrecondition, got %v", l.noun, l.Word(from), l.Word(to), err)
				} else if !strings.Contains(st.Message(), l.Word(from)+" → "+l.Word(to)) {
					t.Errorf("%s %s → %s: message %q does not name both statuses", l.noun, l.Word(from), l.Word(to), st.Message())
				}
			}
		}
	}
}

func TestPlanTransitions(t *testing.T) {
	all := []PlanStatus{PlanDraft, PlanAwaiting, PlanActive, PlanCompleted, PlanCancelled}
	checkTable(t, Plan, all, map[PlanStatus][]PlanStatus{
		PlanDraft:  {PlanActive, PlanCancelled},
		PlanActive: {PlanCompleted, PlanCancelled},
	})
}

func TestObjectiveTransitions(t *testing.T) {
	e := func(s string) ObjectiveStatus {
		return ObjectiveStatus(casebridgev1.ObjectiveStatus_value["OBJECTIVE_STATUS_"+s])
	}
	open, ach, part, not, canc := e("OPEN"), e("ACHIEVED"), e("PARTLY_ACHIEVED"), e("NOT_ACHIEVED"), e("CANCELLED")
	checkTable(t, Objective, []ObjectiveStatus{open, ach, part, not, canc}, map[ObjectiveStatus][]ObjectiveStatus{
		open: {ach, part, not, canc},
		ach:  {open}, part: {open}, not: {open},
	})
}

func TestActionTransitions(t *testing.T) {
	e := func(s string) ActionStatus { return ActionStatus(casebridgev1.ActionStatus_value["ACTION_STATUS_"+s]) }
	planned, prog, done, canc := e("PLANNED"), e("IN_PROGRESS"), e("DONE"), e("CANCELLED")
	checkTable(t, Action, []ActionStatus{planned, prog, done, canc}, map[ActionStatus][]ActionStatus{
		planned: {prog, done, canc},
		prog:    {done, canc},
	})
}

func TestServiceTransitions(t *testing.T) {
	e := func(s string) ServiceStatus {
		return ServiceStatus(casebridgev1.ServiceStatus_value["SERVICE_STATUS_"+s])
	}
	planned, prog, deliv, canc := e("PLANNED"), e("IN_PROGRESS"), e("DELIVERED"), e("CANCELLED")
	checkTable(t, Service, []ServiceStatus{planned, prog, deliv, canc}, map[ServiceStatus][]ServiceStatus{
		planned: {prog, deliv, canc},
		prog:    {deliv, canc},
	})
}

// TestActivationNeedsApproval: where the organisation requires approval,
// the caller's draft → active is refused and every other allowed move
// stays allowed; the approval moves start only where the table says.
func TestActivationNeedsApproval(t *testing.T) {
	all := []PlanStatus{PlanDraft, PlanAwaiting, PlanActive, PlanCompleted, PlanCancelled}
	for _, from := range all {
		for _, to := range all {
			free := CheckActivate(from, to, false)
			gated := CheckActivate(from, to, true)
			if (free == nil) != (Plan.Check(from, to) == nil) {
				t.Errorf("%v → %v without approval: %v", from, to, free)
			}
			wantGated := free == nil && !(from == PlanDraft && to == PlanActive)
			if (gated == nil) != wantGated {
				t.Errorf("%v → %v with approval required: %v", from, to, gated)
			}
			if gated != nil && status.Code(gated) != codes.FailedPrecondition {
				t.Errorf("%v → %v: code %v", from, to, status.Code(gated))
			}
		}
	}
	for _, m := range []struct {
		move     approvalMove
		from, to PlanStatus
	}{{Submit, PlanDraft, PlanAwaiting}, {Approve, PlanAwaiting, PlanActive}, {Reject, PlanAwaiting, PlanDraft}} {
		if m.move.To() != m.to {
			t.Errorf("%s leads to %v", m.move.verb, m.move.To())
		}
		for _, s := range all {
			if err := m.move.Check(s); (err == nil) != (s == m.from) {
				t.Errorf("%s from %v: %v", m.move.verb, s, err)
			}
		}
	}
}

// TestEditable: content changes while a plan is a draft or active, never
// while a supervisor decides on it nor once it is over; where approval of
// plans is required, not once approved either.
func TestEditable(t *testing.T) {
	for _, tc := range []struct {
		s        PlanStatus
		required bool
		want     bool
	}{
		{PlanDraft, false, true}, {PlanDraft, true, true},
		{PlanActive, false, true}, {PlanActive, true, false},
		{PlanAwaiting, false, false}, {PlanAwaiting, true, false},
		{PlanCompleted, false, false}, {PlanCompleted, true, false},
		{PlanCancelled, false, false}, {PlanCancelled, true, false},
	} {
		err := CheckEditable(tc.s, tc.required)
		if Editable(tc.s, tc.required) != tc.want || (err == nil) != tc.want {
			t.Errorf("%v (approval required %v): editable %v, want %v", tc.s, tc.required, Editable(tc.s, tc.required), tc.want)
		}
		if !tc.want && status.Code(err) != codes.FailedPrecondition {
			t.Errorf("%v (approval required %v): %v", tc.s, tc.required, err)
		}
		if tc.s == PlanActive && tc.required && !strings.Contains(err.Error(), "new approval") {
			t.Errorf("an approved plan's refusal does not say how to change it: %v", err)
		}
	}
	for s, want := range map[PlanStatus]bool{PlanDraft: true, PlanActive: true, PlanAwaiting: true, PlanCompleted: false, PlanCancelled: false} {
		if InProgress(s) != want {
			t.Errorf("%v: in progress %v", s, InProgress(s))
		}
	}
}

// TestDates: the dates the figures rest on are required with the status
// they date, and only then.
func TestDates(t *testing.T) {
	e := func(s string) ServiceStatus {
		return ServiceStatus(casebridgev1.ServiceStatus_value["SERVICE_STATUS_"+s])
	}
	for _, tc := range []struct {
		s     ServiceStatus
		date  string
		field string
	}{
		{e("DELIVERED"), "", "service.delivered_date"},
		{e("DELIVERED"), "2026-01-02", ""},
		{e("PLANNED"), "2026-01-02", "service.delivered_date"},
		{e("PLANNED"), "", ""},
		{e("CANCELLED"), "", ""},
	} {
		err := CheckServiceDates(tc.s, tc.date)
		if (err == nil) != (tc.field == "") || (err != nil && !strings.Contains(err.Error(), tc.field)) {
			t.Errorf("service %v with %q: %v", tc.s, tc.date, err)
		}
	}
	if err := CheckActionDates(actDone, ""); err == nil || !strings.Contains(err.Error(), "action.actual_date") {
		t.Errorf("done action without a date: %v", err)
	}
	if err := CheckActionDates(actDone, "2026-01-02"); err != nil {
		t.Error(err)
	}
	for s, ok := range map[ServiceStatus]bool{e("PLANNED"): true, e("DELIVERED"): true, e("IN_PROGRESS"): false, e("CANCELLED"): false} {
		if (NewServiceStatus(s) == nil) != ok {
			t.Errorf("new service %v: %v", s, NewServiceStatus(s))
		}
	}
}
