package proceedings_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCreateRetries: each create of the service, sent twice with one
// request id, makes one row and answers the second time with it; the same
// request id on another case makes that case its own row, never handing
// back the first case's (a request id is scoped to its case, or to a
// proceeding of it).
func TestCreateRetries(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	first, second := w.referredCase(), w.referredCase()
	on := map[string]*casebridgev1.Proceeding{
		first:  w.newProceeding(first, criminal()),
		second: w.newProceeding(second, criminal()),
	}
	at := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	for _, tc := range []struct {
		name   string
		create func(ctx context.Context, caseID, requestID string) (id, ofCase string, err error)
	}{
		{"CreateProceeding", func(ctx context.Context, caseID, rid string) (string, string, error) {
			r, err := w.ps.CreateProceeding(ctx, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal(), RequestId: rid})
			return r.GetProceeding().GetId(), r.GetProceeding().GetCaseId(), err
		}},
		{"AddHearing", func(ctx context.Context, caseID, rid string) (string, string, error) {
			r, err := w.ps.AddHearing(ctx, &casebridgev1.AddHearingRequest{ProceedingId: on[caseID].GetId(), Hearing: mainHearing(at, "retry notes"), RequestId: rid})
			return r.GetHearing().GetId(), r.GetHearing().GetCaseId(), err
		}},
		{"AddDeadline", func(ctx context.Context, caseID, rid string) (string, string, error) {
			r, err := w.ps.AddDeadline(ctx, &casebridgev1.AddDeadlineRequest{ProceedingId: on[caseID].GetId(), RequestId: rid,
				Deadline: &casebridgev1.Deadline{DueTime: timestamppb.New(at), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_APPEAL, Description: "appeal"}})
			return r.GetDeadline().GetId(), r.GetDeadline().GetCaseId(), err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rid := uuid.NewString()
			id, ofCase, err := tc.create(lw, first, rid)
			if err != nil || ofCase != first {
				t.Fatalf("create: %v (case %s)", err, ofCase)
			}
			again, _, err := tc.create(lw, first, rid)
			if err != nil || again != id {
				t.Fatalf("retry: %v, id %s want %s", err, again, id)
			}
			other, ofCase, err := tc.create(lw, second, rid)
			if err != nil || other == id || ofCase != second {
				t.Fatalf("same request id on another case: %v, id %s (first %s), case %s", err, other, id, ofCase)
			}
		})
	}
}
