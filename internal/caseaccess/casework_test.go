package caseaccess

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestClosureApprovalRule: where the owner requires a supervisor's
// approval of closures, only a closure with an approved request passes;
// no other transition (an erasure included) is held up by it.
func TestClosureApprovalRule(t *testing.T) {
	none := ClosureApproval{}
	needed := ClosureApproval{Required: true}
	given := ClosureApproval{Required: true, ApprovalID: "a1"}
	for _, tr := range Transitions() {
		for _, c := range []ClosureApproval{none, needed, given} {
			from := tr.From[0]
			err := CheckTransition(Facts{ID: "c1", Status: from, Closure: c}, tr)
			refused := tr.Verb == Close.Verb && c == needed
			if refused != (err != nil) {
				t.Errorf("%s with %+v: %v", tr.Verb, c, err)
			}
			if refused && status.Code(err) != codes.FailedPrecondition {
				t.Errorf("%s with %+v: code %v", tr.Verb, c, status.Code(err))
			}
		}
	}
	for _, s := range []struct {
		f    Facts
		want codes.Code
	}{
		{Facts{ID: "c1", Status: StatusOpen}, codes.OK},
		{Facts{ID: "c1", Status: StatusClosed}, codes.FailedPrecondition},
		{Facts{ID: "c1", Status: StatusOpen, Erased: true}, codes.FailedPrecondition},
	} {
		if got := status.Code(s.f.CheckWorkable()); got != s.want {
			t.Errorf("CheckWorkable(%+v) = %v, want %v", s.f, got, s.want)
		}
	}
}
