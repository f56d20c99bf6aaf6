package compensation_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCreateRetries: each create of the service, sent twice with one
// request id, makes one row and answers the second time with it; the same
// request id on another case makes that case its own row, never handing
// back the first case's (a request id is scoped to its case, or to a
// claim of it).
func TestCreateRetries(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	first, second := w.referredCase(), w.referredCase()
	on := map[string]*casebridgev1.Claim{
		first:  w.awardedClaim(first, 500_000, 300_000),
		second: w.awardedClaim(second, 500_000, 300_000),
	}
	for _, tc := range []struct {
		name   string
		create func(ctx context.Context, caseID, requestID string) (id, ofCase string, err error)
	}{
		{"CreateClaim", func(ctx context.Context, caseID, rid string) (string, string, error) {
			r, err := w.cc.CreateClaim(ctx, &casebridgev1.CreateClaimRequest{CaseId: caseID, RequestId: rid, Claim: &casebridgev1.Claim{
				Type:       casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
				Respondent: &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: "Farm Ltd"},
			}})
			return r.GetClaim().GetId(), r.GetClaim().GetCaseId(), err
		}},
		{"RecordPayment", func(ctx context.Context, caseID, rid string) (string, string, error) {
			r, err := w.cc.RecordPayment(ctx, &casebridgev1.RecordPaymentRequest{ClaimId: on[caseID].GetId(), Amount: eur(1000), PaidDate: "2025-07-01", RequestId: rid})
			return r.GetPayment().GetId(), r.GetClaim().GetCaseId(), err
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
	// The retried payment paid once.
	resp, err := w.cc.ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: on[first].GetId()})
	if err != nil || len(resp.GetPayments()) != 1 {
		t.Fatalf("ledger after a retried payment: %v entries, %v", len(resp.GetPayments()), err)
	}
}
