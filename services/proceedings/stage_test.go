package proceedings

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestStageTransitions is the whole stage table: every move from every
// stage to every stage, allowed or FailedPrecondition naming both stages.
func TestStageTransitions(t *testing.T) {
	all := []casebridgev1.ProceedingStage{investigation, indictment, firstInstance, appeal, final}
	allowed := map[casebridgev1.ProceedingStage][]casebridgev1.ProceedingStage{
		investigation: {indictment, firstInstance, appeal, final},
		indictment:    {firstInstance, appeal, final},
		firstInstance: {appeal, final},
		appeal:        {firstInstance, final}, // retrial, or the appeal decision is final
		final:         {},
	}
	for _, from := range all {
		for _, to := range all {
			name := stageWord(from) + " → " + stageWord(to)
			t.Run(name, func(t *testing.T) {
				err := checkStageMove(from, to)
				want := false
				for _, a := range allowed[from] {
					want = want || a == to
				}
				if want {
					if err != nil {
						t.Fatalf("unexpected %v", err)
					}
					return
				}
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Fatalf("want FailedPrecondition, got %v", err)
				}
				if !strings.Contains(st.Message(), name) {
					t.Fatalf("message %q does not name both stages (%q)", st.Message(), name)
				}
			})
		}
	}
}
