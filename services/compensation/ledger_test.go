package compensation_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestConcurrentPayments: 20 goroutines pay 10.00 EUR each toward an award
// of 70.00 EUR, every payment sent twice at once under one request id (a
// client retrying). Exactly seven distinct payments land, the total never
// passes the award, a retry never pays twice, and every refusal is
// FailedPrecondition.
func TestConcurrentPayments(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	claim := w.awardedClaim(w.referredCase(), 10000, 7000)
	if claim.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_AWARDED {
		t.Fatalf("awarded 70 of 100: status %v", claim.GetStatus())
	}
	requestIDs := make([]string, 10)
	for i := range requestIDs {
		requestIDs[i] = uuid.NewString()
	}
	type result struct {
		payment string
		err     error
	}
	results := make([]result, 20)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{
				ClaimId: claim.GetId(), Amount: eur(1000), PaidDate: "2025-07-01", RequestId: requestIDs[i%10],
			})
			results[i] = result{resp.GetPayment().GetId(), err}
			if err == nil && resp.GetClaim().GetAmountPaid().GetAmountMinor() > 7000 {
				t.Errorf("a response shows %d paid, above the award", resp.GetClaim().GetAmountPaid().GetAmountMinor())
			}
		}(i)
	}
	wg.Wait()
	byRequest := map[string]string{}
	refused := 0
	for i, r := range results {
		switch status.Code(r.err) {
		case codes.OK:
			req := requestIDs[i%10]
			if prior, ok := byRequest[req]; ok && prior != r.payment {
				t.Fatalf("request %s paid twice: entries %s and %s", req, prior, r.payment)
			}
			byRequest[req] = r.payment
		case codes.FailedPrecondition:
			refused++
		default:
			t.Fatalf("payment %d: want OK or FailedPrecondition, got %v", i, r.err)
		}
	}
	if len(byRequest) != 7 {
		t.Fatalf("%d distinct payments accepted, want 7", len(byRequest))
	}
	if refused < 3 {
		t.Fatalf("only %d refusals for 3 payments that did not fit (each sent twice)", refused)
	}
	ledger, err := w.cc.ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: claim.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range ledger.GetPayments() {
		sum += p.GetAmount().GetAmountMinor()
		if byRequest[requestIDOf(t, w, p.GetId())] != p.GetId() {
			t.Fatalf("ledger entry %s is not the one its request was answered with", p.GetId())
		}
		if p.GetPayer().GetName() != "Farm Ltd" || p.GetRecordedBy() != lawyer {
			t.Fatalf("entry %v: payer defaults to the respondent, recorder is the caller", p)
		}
	}
	if len(ledger.GetPayments()) != 7 || sum != 7000 {
		t.Fatalf("ledger holds %d entries summing to %d, want 7 and 7000", len(ledger.GetPayments()), sum)
	}
	got, err := w.cc.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: claim.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetClaim().GetAmountPaid().GetAmountMinor() != 7000 || got.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PAID {
		t.Fatalf("claim after payments: %v", got.GetClaim())
	}

	// Corrections: may take the total above the award, may reverse an
	// entry, never below zero, and must name an entry of this claim.
	first := ledger.GetPayments()[0].GetId()
	over, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(500), PaidDate: "2025-07-02",
		Correction: true, Reason: "interest paid on top of the award"})
	if err != nil || over.GetClaim().GetAmountPaid().GetAmountMinor() != 7500 || over.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PAID {
		t.Fatalf("correction above the award: %v %v", over.GetClaim(), err)
	}
	_, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(-8000), PaidDate: "2025-07-02",
		Correction: true, Reason: "wrong"})
	wantMessage(t, err, codes.FailedPrecondition, "below zero")
	_, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(-1000), PaidDate: "2025-07-02",
		Correction: true, Reason: "bounced", CorrectsPaymentId: uuid.NewString()})
	wantField(t, err, "corrects_payment_id")
	back, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(-1500), PaidDate: "2025-07-03",
		Correction: true, Reason: "transfer bounced", CorrectsPaymentId: first})
	if err != nil {
		t.Fatalf("reversing correction: %v", err)
	}
	if back.GetClaim().GetAmountPaid().GetAmountMinor() != 6000 || back.GetClaim().GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID ||
		back.GetPayment().GetCorrectsPaymentId() != first {
		t.Fatalf("after reversal: %v %v", back.GetClaim(), back.GetPayment())
	}
	// Ordinary payments are bounded by the award again.
	_, err = w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(1001), PaidDate: "2025-07-04"})
	wantMessage(t, err, codes.FailedPrecondition, "above the award")
	summ, err := w.cc.GetClaimSummary(lw, &casebridgev1.GetClaimSummaryRequest{CaseId: claim.GetCaseId()})
	if err != nil || len(summ.GetTotals()) != 1 {
		t.Fatalf("summary: %v %v", summ, err)
	}
	if tot := summ.GetTotals()[0]; tot.GetPaid().GetAmountMinor() != 6000 || tot.GetOutstanding().GetAmountMinor() != 1000 ||
		tot.GetAwarded().GetAmountMinor() != 7000 || tot.GetClaimed().GetAmountMinor() != 10000 {
		t.Fatalf("summary totals: %v", tot)
	}
}

func requestIDOf(t *testing.T, w *world, paymentID string) string {
	t.Helper()
	var id string
	if err := w.env.Pool.QueryRow(context.Background(), `SELECT request_id::text FROM claim_payments WHERE id = $1`, paymentID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLedgerIsAppendOnly: neither the server's role nor a superuser can
// change or delete a ledger entry; the trigger refuses even a statement
// that matches no row.
func TestLedgerIsAppendOnly(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	claim := w.awardedClaim(w.referredCase(), 5000, 5000)
	if _, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: claim.GetId(), Amount: eur(2000), PaidDate: "2025-07-01"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE claim_payments SET amount_minor = 1`,
		`UPDATE claim_payments SET amount_minor = 1 WHERE false`,
		`DELETE FROM claim_payments`,
		`TRUNCATE claim_payments`,
	} {
		_, err := w.env.Pool.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Fatalf("%s: want insufficient_privilege, got %v", sql, err)
		}
	}
	// The application role lacks the privilege as well.
	conn, err := w.env.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET ROLE casebridge_app`); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `DELETE FROM claim_payments`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("casebridge_app DELETE: want insufficient_privilege, got %v", err)
	}
	if _, err := conn.Exec(ctx, `RESET ROLE`); err != nil {
		t.Fatal(err)
	}
	var n int
	var sum int64
	if err := w.env.Pool.QueryRow(ctx, `SELECT count(*), sum(amount_minor) FROM claim_payments`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 1 || sum != 2000 {
		t.Fatalf("ledger changed: %d entries, %d", n, sum)
	}
	// Nor can the claim's currency change under its payments.
	_, err = w.env.Pool.Exec(ctx, `UPDATE claims SET currency = 'RSD' WHERE id = $1`, claim.GetId())
	if !errors.As(err, &pgErr) || pgErr.Code != "23503" {
		t.Fatalf("changing the currency under payments: want foreign key violation, got %v", err)
	}
}
