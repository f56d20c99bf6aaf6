package stats_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// service inserts a service of caseID as the casework service leaves it:
// delivered on delivered ("" planned only).
func (l litigation) service(caseID string, kind casebridgev1.ServiceKind, delivered string) {
	l.t.Helper()
	status, date := casebridgev1.ServiceStatus_SERVICE_STATUS_PLANNED, (*time.Time)(nil)
	if delivered != "" {
		d := day(delivered)
		status, date = casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED, &d
	}
	l.exec(`INSERT INTO case_services (id, case_id, kind, status, provider, delivered_date, created_by)
		VALUES ($1, $2, $3, $4, 1, $5, 'test')`, uuid.NewString(), caseID, int16(kind), int16(status), date)
}

// TestServiceIndicators: services delivered per kind and the days from a
// case's opening to the person's first service, under the same
// protection as every figure: a kind below k is withheld, and so is the
// kind the total would give it away by; planned services and people who
// refused statistical use count nowhere.
func TestServiceIndicators(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	l := litigation{t, env}
	shelter := casebridgev1.ServiceKind_SERVICE_KIND_SHELTER
	psy := casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL
	medical := casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL

	var firstDays []int
	for i := range 30 {
		id := l.newCase("RS", 2017, true, "2017-06-01")
		d := i % 9
		firstDays = append(firstDays, d)
		l.service(id, shelter, day("2017-06-01").AddDate(0, 0, d).Format(time.DateOnly))
		if i < 12 {
			l.service(id, psy, "2017-08-01")
		}
		if i < 3 {
			l.service(id, medical, "2017-09-01")
		}
		l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_RETURN, "") // planned, never delivered
	}
	refused := l.newCase("RS", 2017, true, "2017-06-01")
	l.exec(`INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by)
		VALUES ($1, $2, 3, 2, 1, now(), 'test')`, uuid.NewString(), refused)
	l.service(refused, shelter, "2017-06-02")

	got := indicators(t, st, ctx, years(2017, 2017, "RS"))
	wantCount(t, got, "services.delivered", 45)
	wantCount(t, got, "services.delivered.medical", -1) // 3 < k
	// One more kind is withheld, or the total would give medical away.
	published := 0
	for id, n := range map[string]int64{"services.delivered.shelter": 30, "services.delivered.psychosocial": 12} {
		if !got[id].GetSuppressed() {
			published++
			wantCount(t, got, id, n)
		}
	}
	if published != 1 {
		t.Errorf("%d of shelter and psychosocial published, want exactly 1", published)
	}
	wantCount(t, got, "services.delivered.return", 0) // planned only
	wantCount(t, got, "services.persons_served", 30)
	_ = firstDays
	wantContributor(t, got, "services.median_days_to_first_service") // one organisation's persons
	// Another year has none of it.
	got = indicators(t, st, ctx, years(2018, 2018, "RS"))
	wantCount(t, got, "services.delivered", 0)
	wantCount(t, got, "services.persons_served", 0)
}

// TestWithheldIndicatorsSayWhatIsSmall: "fewer than k" (PRIMARY) is a
// bound on the figure, so it is said only of a count below k. Ten medical
// services delivered to two persons are withheld for resting on fewer
// than k persons, and the median days to acceptance of three referrals
// for resting on fewer than k events: neither figure is below k (ten
// services, a median of 10 days), and both used to be called so.
func TestWithheldIndicatorsSayWhatIsSmall(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	l := litigation{t, env}
	for i := range 20 {
		id := l.newCase("RS", 2017, true, "2017-06-01")
		l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, "2017-06-02")
		if i < 2 {
			for d := range 5 {
				l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, "2017-07-0"+string(rune('1'+d)))
			}
		}
		accept := -1
		if i < 3 {
			accept = 10
		}
		l.referral(id, "2017-06-05", accept)
	}
	got := indicators(t, st, ctx, years(2017, 2017, "RS"))
	small := casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE
	for id, want := range map[string]casebridgev1.WithheldReason{
		"services.delivered.medical":          small,
		"referrals.accepted":                  casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY,
		"referrals.median_days_to_acceptance": small,
	} {
		if ind := got[id]; !ind.GetSuppressed() || ind.GetWithheldReason() != want {
			t.Errorf("%s: suppressed %v as %v, want withheld as %v", id, ind.GetSuppressed(), ind.GetWithheldReason(), want)
		}
	}
}
