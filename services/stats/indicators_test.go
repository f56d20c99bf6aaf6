package stats_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// litigation inserts the rows behind the indicators with SQL, as the
// referral, proceeding and compensation services would leave them.
type litigation struct {
	t   *testing.T
	env *servertest.Env
}

func (l litigation) exec(sql string, args ...any) {
	l.t.Helper()
	if _, err := l.env.Pool.Exec(context.Background(), sql, args...); err != nil {
		l.t.Fatal(err)
	}
}

func day(s string) time.Time { return must(time.Parse(time.DateOnly, s)) }

func (l litigation) newCase(country string, year int32, identified bool, opened string) string {
	l.t.Helper()
	st := casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED
	if identified {
		st = casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED
	}
	id := addCase(l.t, l.env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Country: country, IdentificationYear: year, IdentificationStatus: st})
	l.exec("UPDATE cases SET create_time = $2 WHERE id = $1", id, day(opened))
	return id
}

func (l litigation) referral(caseID, made string, acceptedAfterDays int) {
	var accept *time.Time
	if acceptedAfterDays >= 0 {
		a := day(made).Add(time.Duration(acceptedAfterDays)*24*time.Hour + time.Hour)
		accept = &a
	}
	l.exec(`INSERT INTO referrals (id, case_id, from_organization, to_organization, service, status, purpose, created_by, create_time, accept_time)
		VALUES ($1, $2, 'shelter-a', 'legal-b', 2, CASE WHEN $4::timestamptz IS NULL THEN 1 ELSE 2 END, 2, 'test', $3, $4)`,
		uuid.NewString(), caseID, day(made), accept)
}

func (l litigation) proceeding(caseID string, kind casebridgev1.ProceedingKind, start string, outcome casebridgev1.OutcomeKind, final string) {
	var finalDate *time.Time
	if final != "" {
		f := day(final)
		finalDate = &f
	}
	l.exec(`INSERT INTO proceedings (id, case_id, kind, court_time_zone, stage, created_by, start_date,
			outcome_kind, outcome_decision_date, outcome_final_date)
		VALUES ($1, $2, $3, 'Europe/Belgrade', CASE WHEN $6::date IS NULL THEN 3 ELSE 5 END, 'test', $4, $5, $6, $6)`,
		uuid.NewString(), caseID, int16(kind), day(start), int16(outcome), finalDate)
}

func (l litigation) claim(caseID, currency, filed string, claimed int64, awarded *int64, payments ...int64) {
	id := uuid.NewString()
	status := 2
	if awarded != nil {
		status = 3
	}
	if len(payments) > 0 {
		status = 8
	}
	l.exec(`INSERT INTO claims (id, case_id, type, currency, amount_claimed, amount_awarded, status, filed_date, created_by)
		VALUES ($1, $2, 1, $3, $4, $5, $6, $7, 'test')`, id, caseID, currency, claimed, awarded, status, day(filed))
	for _, p := range payments {
		l.exec(`INSERT INTO claim_payments (id, claim_id, amount_minor, currency, paid_date, recorded_by, correction)
			VALUES ($1, $2, $3, $4, '2018-01-15', 'test', $5)`, uuid.NewString(), id, p, currency, p < 0)
	}
}

func indicators(t *testing.T, st casebridgev1.StatsServiceClient, ctx context.Context, req *casebridgev1.GetIndicatorsRequest) map[string]*casebridgev1.Indicator {
	t.Helper()
	resp, err := st.GetIndicators(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTable().GetK() != k {
		t.Errorf("k = %d", resp.GetTable().GetK())
	}
	out := map[string]*casebridgev1.Indicator{}
	for _, ind := range resp.GetTable().GetIndicators() {
		if _, dup := out[ind.GetId()]; dup {
			t.Errorf("indicator %s twice", ind.GetId())
		}
		if ind.GetSuppressed() && ind.GetValue() != nil {
			t.Errorf("suppressed %s carries a value", ind.GetId())
		}
		if c, ok := ind.GetValue().(*casebridgev1.Indicator_Count); ok && c.Count > 0 && c.Count < k {
			t.Errorf("%s published with %d < k", ind.GetId(), c.Count)
		}
		out[ind.GetId()] = ind
	}
	return out
}

func years(from, to int32, country string) *casebridgev1.GetIndicatorsRequest {
	return &casebridgev1.GetIndicatorsRequest{Country: country,
		Period: &casebridgev1.GetIndicatorsRequest_Years{Years: &casebridgev1.YearRange{StartYear: from, EndYear: to}}}
}

// wantCount checks a count indicator; -1 means it must be suppressed.
func wantCount(t *testing.T, got map[string]*casebridgev1.Indicator, id string, n int64) {
	t.Helper()
	ind := got[id]
	switch {
	case ind == nil:
		t.Errorf("%s missing", id)
	case n < 0 && !ind.GetSuppressed():
		t.Errorf("%s = %v, want suppressed", id, ind.GetValue())
	case n >= 0 && (ind.GetSuppressed() || ind.GetCount() != n || ind.GetValue() == nil):
		t.Errorf("%s = %v (suppressed %v), want %d", id, ind.GetValue(), ind.GetSuppressed(), n)
	}
}

func median(xs []int) int32 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return int32(s[n/2])
	}
	return int32(math.Round(float64(s[n/2-1]+s[n/2]) / 2))
}

// TestIndicators builds a small justice-system history in Serbia and North
// Macedonia and checks every indicator against it, including which ones
// must be withheld.
func TestIndicators(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	l := litigation{t, env}
	pcrim := casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL

	var rs []string
	for i := range 60 {
		rs = append(rs, l.newCase("RS", 2017, i%2 == 0, "2017-06-01"))
	}
	var mk []string
	for range 30 {
		mk = append(mk, l.newCase("MK", 2017, true, "2017-06-01"))
	}
	// The person behind this case refused statistical use: everything of
	// theirs stays out.
	refused := l.newCase("RS", 2017, true, "2017-06-01")
	l.exec(`INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by)
		VALUES ($1, $2, 3, 2, 1, now(), 'test')`, uuid.NewString(), refused)
	l.referral(refused, "2017-03-01", 3)
	l.proceeding(refused, pcrim, "2017-02-01", 0, "")
	l.claim(refused, "EUR", "2017-04-01", 999, nil)

	// Referrals: 40 made in 2017 (25 accepted), 2 in 2016.
	var days []int
	for i := range 40 {
		d := -1
		if i < 25 {
			d = i%10 + 1
			days = append(days, d)
		}
		l.referral(rs[i], "2017-03-01", d)
	}
	l.referral(rs[50], "2016-05-01", -1)
	l.referral(rs[51], "2016-05-01", -1)

	// Proceedings: 30 opened in 2017 in Serbia (18 criminal, 9 civil, 3
	// labour), 12 of them final in 2018 (8 convictions, 4 acquittals).
	var durations []int
	for i := range 30 {
		kind := pcrim
		switch {
		case i >= 27:
			kind = casebridgev1.ProceedingKind_PROCEEDING_KIND_LABOUR
		case i >= 18:
			kind = casebridgev1.ProceedingKind_PROCEEDING_KIND_CIVIL
		}
		outcome, final := casebridgev1.OutcomeKind(0), ""
		if i < 12 {
			outcome = casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION
			if i >= 8 {
				outcome = casebridgev1.OutcomeKind_OUTCOME_KIND_ACQUITTAL
			}
			f := day("2018-05-01").AddDate(0, 0, i*7)
			final = f.Format(time.DateOnly)
			durations = append(durations, int(f.Sub(day("2017-02-01")).Hours()/24))
		}
		l.proceeding(rs[i], kind, "2017-02-01", outcome, final)
	}
	for i := range 10 {
		l.proceeding(mk[i], pcrim, "2017-09-01", 0, "")
	}

	// Claims filed in 2017: 20 in EUR (12 awarded, 7 paid), 3 in RSD.
	var claimed, awardedSum, paidSum int64
	for i := range 20 {
		c := int64(100000 + i*1000)
		claimed += c
		var aw *int64
		if i < 12 {
			a := int64(50000 + i*500)
			awardedSum += a
			aw = &a
		}
		var pays []int64
		if i < 7 {
			pays = []int64{20000}
			if i == 0 {
				pays = []int64{20000, 10000, -5000} // with a correction
			}
			for _, p := range pays {
				paidSum += p
			}
		}
		l.claim(rs[i], "EUR", "2017-04-01", c, aw, pays...)
	}
	for i := 20; i < 23; i++ {
		l.claim(rs[i], "RSD", "2017-04-01", 5000000, nil)
	}

	got := indicators(t, st, ctx, years(2017, 2017, "RS"))
	wantCount(t, got, "persons.identified", 30)
	wantCount(t, got, "persons.assisted", 60)
	wantCount(t, got, "referrals.made", 40)
	wantCount(t, got, "referrals.accepted", 25)
	// Every referral is one organisation's: it alone would place the median.
	wantContributor(t, got, "referrals.median_days_to_acceptance")
	wantCount(t, got, "proceedings.opened", 30)
	wantCount(t, got, "proceedings.opened.criminal", 18)
	wantCount(t, got, "proceedings.opened.labour", -1) // 3 < k
	wantCount(t, got, "proceedings.opened.civil", -1)  // or 30 - 18 - 0 would give labour away
	wantCount(t, got, "proceedings.opened.administrative", 0)
	wantCount(t, got, "proceedings.concluded", 0)
	wantCount(t, got, "claims.filed", 23)
	wantCount(t, got, "claims.awarded", 12)
	wantCount(t, got, "claims.paid", 7)
	// One organisation holds every claim: its share is above the dominance limit.
	_, _, _ = claimed, awardedSum, paidSum
	wantContributor(t, got, "claims.amount_claimed.EUR")
	wantContributor(t, got, "claims.amount_awarded.EUR")
	wantContributor(t, got, "claims.amount_paid.EUR")
	wantMoney(t, got, "claims.amount_claimed.RSD", -1) // three claims
	wantCount(t, got, "victims.claimed", 23)
	wantCount(t, got, "victims.paid", 7)
	if bp := got["victims.paid_share"].GetRatio().GetBasisPoints(); bp != int32(math.Round(7*10000/23.0)) {
		t.Errorf("paid share %d bp", bp)
	}

	// The decisions became final in 2018.
	got = indicators(t, st, ctx, years(2018, 2018, "RS"))
	wantCount(t, got, "proceedings.concluded", 12)
	wantCount(t, got, "proceedings.outcome.acquittal", -1)  // 4 < k
	wantCount(t, got, "proceedings.outcome.conviction", -1) // or 12 - 8 would give it away
	_ = durations
	wantContributor(t, got, "proceedings.median_days_to_final_decision")
	wantCount(t, got, "proceedings.opened", 0)

	// 2016-2017 would be 2017 plus two referrals of 2016: withheld, or
	// subtracting 2017 would give 2016 away.
	got = indicators(t, st, ctx, years(2016, 2017, "RS"))
	wantCount(t, got, "referrals.made", -1)
	wantCount(t, got, "referrals.accepted", 25) // none of 2016 was accepted

	// Every country together, and a date range of whole years.
	got = indicators(t, st, ctx, &casebridgev1.GetIndicatorsRequest{Period: &casebridgev1.GetIndicatorsRequest_Dates{
		Dates: &casebridgev1.DateRange{StartDate: "2017-01-01", EndDate: "2017-12-31"}}})
	wantCount(t, got, "proceedings.opened", 40)
	wantCount(t, got, "proceedings.opened.criminal", 28)
	wantCount(t, got, "persons.identified", 60)
	got = indicators(t, st, ctx, years(2017, 2017, "MK"))
	wantCount(t, got, "proceedings.opened", 10)

	// Two proceedings in Albania: every country could be asked for but
	// Albania and subtracted from the total, so single countries are
	// withheld while the total stays.
	al := l.newCase("AL", 2017, true, "2017-06-01")
	l.proceeding(al, pcrim, "2017-03-01", 0, "")
	l.proceeding(al, pcrim, "2017-03-02", 0, "")
	got = indicators(t, st, ctx, years(2017, 2017, "MK"))
	wantCount(t, got, "proceedings.opened", -1)
	got = indicators(t, st, ctx, years(2017, 2017, ""))
	wantCount(t, got, "proceedings.opened", 42)

	// Periods are whole years.
	_, err := st.GetIndicators(ctx, &casebridgev1.GetIndicatorsRequest{Period: &casebridgev1.GetIndicatorsRequest_Dates{
		Dates: &casebridgev1.DateRange{StartDate: "2017-01-01", EndDate: "2017-06-30"}}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = st.GetIndicators(ctx, years(2017, 2017, "XX"))
	wantCode(t, err, codes.InvalidArgument)
}

func wantMoney(t *testing.T, got map[string]*casebridgev1.Indicator, id string, amount int64) {
	t.Helper()
	ind := got[id]
	switch {
	case ind == nil:
		t.Errorf("%s missing", id)
	case amount < 0 && !ind.GetSuppressed():
		t.Errorf("%s = %v, want suppressed", id, ind.GetMoney())
	case amount >= 0:
		m := ind.GetMoney().GetAmounts()
		if len(m) != 1 || m[0].GetAmountMinor() != amount {
			t.Errorf("%s = %v, want %d", id, m, amount)
		}
	}
}
