package compensation_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCompensationCallsAreAudited: the auditor sees, under the case, every
// change to its claims and ledger — each committed by the change's own
// transaction, acting for which organisation, naming the legal class when
// it wrote a respondent's name or a reason — and every answer that carried
// such sealed text in clear as a read of the legal class: a claim read, the
// ledger (the payer's name), a change answered with the respondent's name
// it did not write, a retried payment. The summary carries amounts only. A
// refused read and a failed transition are on record, and the failed
// transition left no OK event.
func TestCompensationCallsAreAudited(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()

	created, err := w.cc.CreateClaim(servertest.WithRequestID(lw, "claim-create"), &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type:          casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: "Farm Ltd"},
		AmountClaimed: eur(500_000),
	}})
	if err != nil {
		t.Fatal(err)
	}
	claimID := created.GetClaim().GetId()
	if _, err := w.cc.FileClaim(servertest.WithRequestID(lw, "claim-file"), &casebridgev1.FileClaimRequest{Id: claimID, FiledDate: "2025-01-15"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.RecordAward(servertest.WithRequestID(lw, "claim-award"), &casebridgev1.RecordAwardRequest{Id: claimID, Amount: eur(300_000), DecisionDate: "2025-06-02"}); err != nil {
		t.Fatal(err)
	}
	payReq := &casebridgev1.RecordPaymentRequest{ClaimId: claimID, Amount: eur(100_000), PaidDate: "2025-07-01", RequestId: "0d6f3f4e-8a51-4c1e-b7a4-6a3e2f9d5c21"}
	paid, err := w.cc.RecordPayment(servertest.WithRequestID(lw, "payment"), payReq)
	if err != nil {
		t.Fatal(err)
	}
	// A retry pays nothing: no change event commits, the call is still on record.
	if _, err := w.cc.RecordPayment(servertest.WithRequestID(lw, "payment-retry"), payReq); err != nil {
		t.Fatal(err)
	}
	// Failed: an awarded claim cannot be filed again.
	_, err = w.cc.FileClaim(servertest.WithRequestID(lw, "claim-file-again"), &casebridgev1.FileClaimRequest{Id: claimID})
	wantCode(t, err, codes.FailedPrecondition)

	if _, err := w.cc.GetClaim(servertest.WithRequestID(cw, "claim-get"), &casebridgev1.GetClaimRequest{Id: claimID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.ListPayments(servertest.WithRequestID(lw, "payments"), &casebridgev1.ListPaymentsRequest{ClaimId: claimID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.GetClaimSummary(servertest.WithRequestID(lw, "summary"), &casebridgev1.GetClaimSummaryRequest{CaseId: caseID}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c cannot tell the claim exists.
	_, err = w.cc.GetClaim(servertest.WithRequestID(w.as(otherCW), "claim-get-refused"), &casebridgev1.GetClaimRequest{Id: claimID})
	wantCode(t, err, codes.NotFound)

	const (
		svc = "/casebridge.v1.CompensationService/"
		lb  = "legal-b"
	)
	tr := w.env.AuditTrail(t, caseID)
	tr.Check(t, "claim-create", svc+"CreateClaim", lawyer, expect("OK", lb, legal))
	tr.Check(t, "claim-file", svc+"FileClaim", lawyer, expect("OK", lb, nil), expect("OK", lb, legal))
	tr.Check(t, "claim-award", svc+"RecordAward", lawyer, expect("OK", lb, nil), expect("OK", lb, legal))
	ev := tr.Check(t, "payment", svc+"RecordPayment", lawyer, expect("OK", lb, nil), expect("OK", lb, legal))
	w.env.SameTx(t, ev[0], `SELECT xmin FROM claim_payments WHERE id = $1`, paid.GetPayment().GetId())
	tr.Check(t, "payment-retry", svc+"RecordPayment", lawyer, expect("OK", lb, legal))
	tr.Check(t, "claim-file-again", svc+"FileClaim", lawyer, expect("FAILED_PRECONDITION", lb, nil))
	tr.Check(t, "claim-get", svc+"GetClaim", caseworker, expect("OK", "shelter-a", legal))
	tr.Check(t, "payments", svc+"ListPayments", lawyer, expect("OK", lb, legal))
	tr.Check(t, "summary", svc+"GetClaimSummary", lawyer, expect("OK", lb, nil))
	tr.Check(t, "claim-get-refused", svc+"GetClaim", otherCW, expect("NOT_FOUND", "cso-c", nil))
}

var legal = []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}

// expect is one audit event a call must leave.
func expect(code, org string, classes []casebridgev1.DataClass) servertest.AuditExpect {
	return servertest.AuditExpect{Code: code, Org: org, Classes: classes}
}
