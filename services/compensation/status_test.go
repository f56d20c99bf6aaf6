package compensation

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var allStatuses = []casebridgev1.ClaimStatus{draft, filed, awarded, partiallyAwarded, rejected, appealed, paid, partiallyPaid, unenforceable}

// TestClaimTransitions is the whole status table: every event from every
// status, allowed or FailedPrecondition naming the status it was refused in.
func TestClaimTransitions(t *testing.T) {
	allowed := map[string][]casebridgev1.ClaimStatus{
		"file":                {draft},
		"record an award on":  {filed, appealed},
		"reject":              {filed, appealed},
		"appeal":              {awarded, partiallyAwarded, rejected},
		"mark unenforceable":  {awarded, partiallyAwarded, partiallyPaid},
		"record a payment on": {awarded, partiallyAwarded, partiallyPaid, paid, unenforceable, appealed},
	}
	if len(transitions) != len(allowed) {
		t.Fatalf("%d events in the code, %d in the table", len(transitions), len(allowed))
	}
	for _, tr := range transitions {
		for _, from := range allStatuses {
			t.Run(tr.verb+" from "+statusWord(from), func(t *testing.T) {
				err := tr.check(from)
				want := false
				for _, a := range allowed[tr.verb] {
					want = want || a == from
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
				if !strings.Contains(st.Message(), "is "+statusWord(from)) {
					t.Fatalf("message %q does not name the status", st.Message())
				}
			})
		}
	}
}

// TestSettle is where a claim lands given its award and what was paid.
func TestSettle(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name    string
		status  casebridgev1.ClaimStatus
		claimed *int64
		award   int64
		paidSum int64
		want    casebridgev1.ClaimStatus
	}{
		{"nothing paid, full award", awarded, n(1000), 1000, 0, awarded},
		{"nothing paid, partial award", partiallyAwarded, n(1000), 600, 0, partiallyAwarded},
		{"award above the claim is not partial", awarded, n(1000), 1200, 0, awarded},
		{"award of an unknown claim is full", awarded, nil, 600, 0, awarded},
		{"some paid", awarded, n(1000), 1000, 1, partiallyPaid},
		{"all paid", partiallyPaid, n(1000), 1000, 1000, paid},
		{"overpaid by correction", paid, n(1000), 1000, 1200, paid},
		{"correction back to nothing", partiallyPaid, n(1000), 600, 0, partiallyAwarded},
		{"correction below full", paid, n(1000), 1000, 999, partiallyPaid},
		{"under appeal stays appealed", appealed, n(1000), 1000, 1000, appealed},
		{"unenforceable stays while short", unenforceable, n(1000), 1000, 400, unenforceable},
		{"unenforceable paid after all", unenforceable, n(1000), 1000, 1000, paid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &claimRow{Status: tc.status, Claimed: tc.claimed, Awarded: n(tc.award), Paid: tc.paidSum}
			settle(c)
			if c.Status != tc.want {
				t.Fatalf("got %v, want %v", c.Status, tc.want)
			}
		})
	}
}

// TestSummarize: totals per currency, never across currencies, outstanding
// never negative per claim, claims without any amount left out.
func TestSummarize(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	got, err := summarize([]*claimRow{
		{Currency: "RSD", Claimed: n(500000), Awarded: n(300000), Paid: 100000},
		{Currency: "EUR", Claimed: n(10000), Awarded: n(8000), Paid: 9000}, // overpaid: outstanding 0, not -1000
		{Currency: "EUR", Claimed: n(2000), Paid: 0},                       // not awarded yet
		{Currency: "EUR", Claimed: n(3000), Awarded: n(3000), Paid: 500},
		{Currency: ""}, // no amount yet
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].GetCurrencyCode() != "EUR" || got[1].GetCurrencyCode() != "RSD" {
		t.Fatalf("totals %v, want EUR then RSD", got)
	}
	eur, rsd := got[0], got[1]
	check := func(name string, m *casebridgev1.Money, cur string, want int64) {
		t.Helper()
		if m.GetCurrencyCode() != cur || m.GetAmountMinor() != want {
			t.Errorf("%s: %v, want %d %s", name, m, want, cur)
		}
	}
	if eur.GetClaimCount() != 3 || rsd.GetClaimCount() != 1 {
		t.Errorf("counts %d EUR, %d RSD", eur.GetClaimCount(), rsd.GetClaimCount())
	}
	check("EUR claimed", eur.GetClaimed(), "EUR", 15000)
	check("EUR awarded", eur.GetAwarded(), "EUR", 11000)
	check("EUR paid", eur.GetPaid(), "EUR", 9500)
	check("EUR outstanding", eur.GetOutstanding(), "EUR", 2500)
	check("RSD outstanding", rsd.GetOutstanding(), "RSD", 200000)

	if _, err := summarize([]*claimRow{{Currency: "EUR", Paid: 1 << 62}, {Currency: "EUR", Paid: 1 << 62}, {Currency: "EUR", Paid: 1 << 62}}); err == nil {
		t.Fatal("totals beyond int64 must fail, not wrap")
	}
}
