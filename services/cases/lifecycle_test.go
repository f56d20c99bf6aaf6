package cases

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestLifecycle is the whole status table: every transition from every
// state, allowed or FailedPrecondition naming both states.
func TestLifecycle(t *testing.T) {
	all := []casebridgev1.CaseStatus{open, inAssistance, suspended, closed}
	allowed := map[string][]casebridgev1.CaseStatus{
		"start assistance on": {open, suspended},
		"suspend":             {inAssistance},
		"close":               {open, inAssistance, suspended},
		"reopen":              {closed},
	}
	for _, tr := range []transition{startAssistance, suspend, closeCase, reopen} {
		for _, from := range all {
			err := tr.check(from)
			want := false
			for _, a := range allowed[tr.verb] {
				want = want || a == from
			}
			if want && err != nil {
				t.Errorf("%s from %v: unexpected %v", tr.verb, from, err)
			}
			if !want {
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Errorf("%s from %v: want FailedPrecondition, got %v", tr.verb, from, err)
					continue
				}
				if msg := st.Message(); !contains(msg, statusWord(from)+" → "+statusWord(tr.to)) {
					t.Errorf("%s from %v: message %q does not name both states", tr.verb, from, msg)
				}
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
