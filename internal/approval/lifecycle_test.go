package approval

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransitionTable is the request lifecycle as a table: from every
// status, each transition is allowed or FailedPrecondition naming both.
func TestTransitionTable(t *testing.T) {
	all := []Status{Pending, Approved, Rejected, Used}
	table := []struct {
		tr   Transition
		from []Status
		to   Status
	}{
		{Approve, []Status{Pending}, Approved},
		{Reject, []Status{Pending}, Rejected},
		{Use, []Status{Approved}, Used},
		{Withdraw, []Status{Pending, Approved}, Rejected},
	}
	if len(table) != len(Transitions()) {
		t.Fatalf("table has %d rows, Transitions %d", len(table), len(Transitions()))
	}
	for _, row := range table {
		if row.tr.To != row.to {
			t.Errorf("%s leads to %v", row.tr.Verb, row.tr.To)
		}
		for _, s := range all {
			allowed := false
			for _, f := range row.from {
				allowed = allowed || f == s
			}
			err := row.tr.Check(s)
			if allowed != (err == nil) {
				t.Errorf("%s from %s: %v", row.tr.Verb, Word(s), err)
			}
			if err != nil {
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), Word(s)+" → "+Word(row.tr.To)) {
					t.Errorf("%s from %s: %v", row.tr.Verb, Word(s), err)
				}
			}
		}
	}
	if Decision(casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE).To != Approved ||
		Decision(casebridgev1.ApprovalDecision_APPROVAL_DECISION_REJECT).To != Rejected {
		t.Error("decisions lead to the wrong transitions")
	}
}

// TestFourEyes: nobody decides their own request nor the approval of a
// plan they wrote, and a rejection says why.
func TestFourEyes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		asked, author string
		decider       string
		tr            Transition
		comment       string
		code          codes.Code
	}{
		{"another approves without a comment", "cw", "cw", "sup", Approve, "", codes.OK},
		{"closure, no author", "cw", "", "sup", Approve, "", codes.OK},
		{"own request", "sup", "cw", "sup", Approve, "ok", codes.FailedPrecondition},
		{"own rejection", "sup", "cw", "sup", Reject, "no", codes.FailedPrecondition},
		{"own plan, another asked", "cw", "sup", "sup", Approve, "", codes.FailedPrecondition},
		{"own plan, rejected", "cw", "sup", "sup", Reject, "no", codes.FailedPrecondition},
		{"rejection without a comment", "cw", "cw", "sup", Reject, "  ", codes.InvalidArgument},
		{"rejection with a comment", "cw", "cw", "sup", Reject, "add the housing objective", codes.OK},
	} {
		if got := status.Code(CheckDecider(tc.asked, tc.author, tc.decider, tc.tr, tc.comment)); got != tc.code {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.code)
		}
	}
}
