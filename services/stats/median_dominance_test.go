package stats_test

import (
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestMedianNotPlacedByPadding: the median days to first service must not
// be one person's exact value, nor may an organisation that pads the cell
// with cases of its own (at least k, so the contributor rule is met)
// choose whose.
// Five persons of legal-b got a first service 3, 7, 11, 20 and 40 days
// after their case was opened; shelter-a pads with five persons served on
// the day of opening and one 364 days later and reads the first person's
// value exactly, then with eight more served late and reads the last one.
// Every median must be withheld when one organisation's contribution can
// place it on another organisation's person.
func TestMedianNotPlacedByPadding(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	l := litigation{t, env}
	shelter := casebridgev1.ServiceKind_SERVICE_KIND_SHELTER

	real := []int{3, 7, 11, 20, 40}
	for _, d := range real {
		id := addCase(t, env.Pool, "legal-b", &casebridgev1.CodedAttributes{Country: "RS", IdentificationYear: 2017,
			IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED})
		l.exec("UPDATE cases SET create_time = $2 WHERE id = $1", id, day("2017-03-01"))
		l.service(id, shelter, day("2017-03-01").AddDate(0, 0, d).Format(time.DateOnly))
	}
	pad := func(n int, deliveredAfter int) {
		for range n {
			id := l.newCase("RS", 2017, true, "2017-01-01")
			l.service(id, shelter, day("2017-01-01").AddDate(0, 0, deliveredAfter).Format(time.DateOnly))
		}
	}
	medianOf := func() (int32, bool) {
		got := indicators(t, st, ctx, years(2017, 2017, "RS"))
		m := got["services.median_days_to_first_service"]
		return m.GetDuration().GetMedianDays(), !m.GetSuppressed() && m.GetDuration() != nil
	}

	withheld := func(when string) {
		t.Helper()
		if m, ok := medianOf(); ok {
			t.Errorf("%s: median %d published", when, m)
		}
		wantContributor(t, indicators(t, st, ctx, years(2017, 2017, "RS")), "services.median_days_to_first_service")
	}
	// Without padding the median of five is already the third person's value.
	if m, ok := medianOf(); ok && m == int32(real[2]) {
		t.Errorf("the median %d of legal-b's five persons is one person's exact value", m)
	}
	withheld("one organisation's five persons")
	pad(5, 0) // 5 zeros, 5 real, 1 high: the 6th of 11 is the smallest real value
	pad(1, 364)
	if m, ok := medianOf(); ok && m == int32(real[0]) {
		t.Errorf("after padding with 5 zeros and 1 high the median %d is legal-b's first person's exact value", m)
	}
	withheld("shelter-a brings 6 of 11")
	pad(8, 364) // 5 zeros, 5 real, 9 highs: the 10th of 19 is the largest real value
	if m, ok := medianOf(); ok && m == int32(real[4]) {
		t.Errorf("after padding with 9 highs the median %d is legal-b's last person's exact value", m)
	}
	withheld("shelter-a brings 14 of 19")
}

// TestSumWithheldWhenDominated: with one claim of 1,000,000 and four of 1
// the sum would be the large claim to within 0.0004%, though the cell
// rests on k persons. A sum is withheld when one contributor dominates it.
func TestSumWithheldWhenDominated(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	l := litigation{t, env}
	for _, amount := range []int64{1_000_000_00, 100, 100, 100, 100} {
		id := l.newCase("RS", 2017, true, "2017-03-01")
		l.claim(id, "EUR", "2017-05-01", amount, nil)
	}
	got := indicators(t, st, ctx, years(2017, 2017, "RS"))
	ind := got["claims.amount_claimed.EUR"]
	if a := ind.GetMoney().GetAmounts(); !ind.GetSuppressed() && len(a) == 1 {
		if sum := a[0].GetAmountMinor(); 100*1_000_000_00 > 99*sum { // one claim is over 99% of the sum
			t.Errorf("amount claimed %d published: one claim is %.4f%% of it", sum, 100*float64(1_000_000_00)/float64(sum))
		}
	}
	wantContributor(t, got, "claims.amount_claimed.EUR")
}

// wantContributor checks that the indicator id is withheld because one
// organisation would place or dominate it.
func wantContributor(t *testing.T, got map[string]*casebridgev1.Indicator, id string) {
	t.Helper()
	ind := got[id]
	if !ind.GetSuppressed() || ind.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR {
		t.Errorf("%s = %v, want withheld: one organisation", id, ind)
	}
}
