package stats_test

import (
	"math"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The rules of the monitoring indicators are about persons: an indicator
// counts events (services, claims, proceedings), and one person can have
// any number of them, so a rule that counts events lets an organisation
// or a subtraction isolate one person behind many events.

// identifiedIn adds one identified case of org in country, identified and
// opened in 2017, with services shelter services delivered in 2017.
func identifiedIn(l litigation, org, country string, services int) string {
	l.t.Helper()
	id := addCase(l.t, l.env.Pool, org, &casebridgev1.CodedAttributes{Country: country, IdentificationYear: 2017,
		IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED})
	l.exec("UPDATE cases SET create_time = $2 WHERE id = $1", id, day("2017-01-10"))
	for i := range services {
		l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, day("2017-02-01").AddDate(0, 0, 7*i).Format(time.DateOnly))
	}
	return id
}

// wantWithheld checks that the indicator id is withheld for reason.
func wantWithheld(t *testing.T, got map[string]*casebridgev1.Indicator, id string, reason casebridgev1.WithheldReason) {
	t.Helper()
	if ind := got[id]; !ind.GetSuppressed() || ind.GetWithheldReason() != reason {
		t.Errorf("%s = %v, want withheld: %v", id, ind, reason)
	}
}

// TestIndicatorContributorRuleCountsPersons: an indicator is withheld (one
// organisation) when removing one organisation's persons leaves 1 to k-1
// persons, however many events either side has. legal-b's one person in
// Serbia got 6 shelter services and filed 6 claims in 2017; shelter-a has
// 4 persons with 2 of each. 14 services (6 without shelter-a's, 8 without
// legal-b's) and 14 claims rest on 5 persons: published, shelter-a would
// subtract her own and read the one person's figures. Once cso-c's five
// persons join, no organisation's removal leaves fewer than k persons, and
// the figures are published.
func TestIndicatorContributorRuleCountsPersons(t *testing.T) {
	env := servertest.Start(t)
	l := litigation{t, env}
	st, ctx := client(env), env.As(t, coordinator)
	victim := identifiedIn(l, "legal-b", "RS", 6)
	for range 6 {
		l.claim(victim, "EUR", "2017-05-01", 500, nil)
	}
	for range 4 {
		id := l.newCase("RS", 2017, true, "2017-01-01") // shelter-a's
		l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, "2017-03-01")
		l.service(id, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, "2017-04-01")
		l.claim(id, "EUR", "2017-05-01", 400, nil)
		l.claim(id, "EUR", "2017-06-01", 400, nil)
	}
	got := indicators(t, st, ctx, years(2017, 2017, "RS"))
	for _, id := range []string{"services.delivered.shelter", "services.delivered", "claims.filed", "claims.amount_claimed.EUR"} {
		wantWithheld(t, got, id, casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR)
	}

	for range 5 {
		id := identifiedIn(l, "cso-c", "RS", 1)
		l.claim(id, "EUR", "2017-05-01", 300, nil)
	}
	got = indicators(t, st, ctx, years(2017, 2017, "RS"))
	wantCount(t, got, "services.delivered.shelter", 19)
	wantCount(t, got, "claims.filed", 19)
	if a := got["claims.amount_claimed.EUR"].GetMoney().GetAmounts(); len(a) != 1 || a[0].GetAmountMinor() != 3000+3200+1500 {
		t.Errorf("claims.amount_claimed.EUR = %v, want 7700", got["claims.amount_claimed.EUR"])
	}
}

// TestIndicatorDifferencingCountsPersons: two figures that may both be
// published never differ by the events of 1 to k-1 persons, whether the
// difference is another country or another year. One person in North
// Macedonia got 6 shelter services in 2017, five in Serbia 10: Serbia's
// figure would be 10 and all countries' 16, and 16 − 10 = 6 is the one
// Macedonian's, whose own figure is withheld. All are shelter-a's, so the
// contributor rule has nothing to say: the differencing rules must.
func TestIndicatorDifferencingCountsPersons(t *testing.T) {
	const id = "services.delivered.shelter"
	t.Run("country", func(t *testing.T) {
		env := servertest.Start(t)
		l := litigation{t, env}
		st, ctx := client(env), env.As(t, coordinator)
		identifiedIn(l, "shelter-a", "MK", 6)
		for range 5 {
			identifiedIn(l, "shelter-a", "RS", 2)
		}
		wantWithheld(t, indicators(t, st, ctx, years(2017, 2017, "MK")), id, casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE)
		wantCount(t, indicators(t, st, ctx, years(2017, 2017, "")), id, 16)
		wantWithheld(t, indicators(t, st, ctx, years(2017, 2017, "RS")), id, casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING)

		// With five persons in North Macedonia the difference rests on k.
		for range 4 {
			identifiedIn(l, "shelter-a", "MK", 1)
		}
		wantCount(t, indicators(t, st, ctx, years(2017, 2017, "RS")), id, 10)
	})
	t.Run("year", func(t *testing.T) {
		// One person's 6 services of 2016 are the difference between
		// 2016–2017 and 2017; the period is a filter every question has,
		// guarded by the rule on each year it selects.
		env := servertest.Start(t)
		l := litigation{t, env}
		st, ctx := client(env), env.As(t, coordinator)
		one := l.newCase("RS", 2016, true, "2016-01-10")
		for i := range 6 {
			l.service(one, casebridgev1.ServiceKind_SERVICE_KIND_SHELTER, day("2016-02-01").AddDate(0, 0, 7*i).Format(time.DateOnly))
		}
		for range 5 {
			identifiedIn(l, "shelter-a", "RS", 2)
		}
		wantCount(t, indicators(t, st, ctx, years(2017, 2017, "RS")), id, 10)
		wantWithheld(t, indicators(t, st, ctx, years(2016, 2016, "RS")), id, casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE)
		wantWithheld(t, indicators(t, st, ctx, years(2016, 2017, "RS")), id, casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING)
	})
	t.Run("organisations mixed", func(t *testing.T) {
		// The review's case: legal-b's Macedonian, shelter-a's three and
		// cso-c's two Serbians. Whichever rule withholds it, Serbia and all
		// countries are not both published.
		env := servertest.Start(t)
		l := litigation{t, env}
		st, ctx := client(env), env.As(t, coordinator)
		identifiedIn(l, "legal-b", "MK", 6)
		for range 3 {
			identifiedIn(l, "shelter-a", "RS", 2)
		}
		for range 2 {
			identifiedIn(l, "cso-c", "RS", 3)
		}
		rs := indicators(t, st, ctx, years(2017, 2017, "RS"))[id]
		all := indicators(t, st, ctx, years(2017, 2017, ""))[id]
		if !rs.GetSuppressed() && !all.GetSuppressed() {
			t.Errorf("all countries %d − Serbia %d = %d: the one Macedonian's services", all.GetCount(), rs.GetCount(), all.GetCount()-rs.GetCount())
		}
	})
}

// TestIndicatorMedianNotPlacedByEvents: a median is taken over events,
// and an organisation's events, not its persons, decide where it lands.
// legal-b and cso-c have three persons each, one proceeding each, decided
// after 30 to 200 days; shelter-a has two persons (a quarter of them) with
// five proceedings decided after 3000 days, or on the day they began. The
// median of the eleven would be the others' longest (200, as 203) or
// shortest (30, as 28): chosen by shelter-a. It is withheld (one
// organisation); with eleven persons of each organisation, one proceeding
// each, no organisation can place it, and it is published.
func TestIndicatorMedianNotPlacedByEvents(t *testing.T) {
	const id = "proceedings.median_days_to_final_decision"
	crim, conv := casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION
	final := day("2017-12-01")
	decided := func(l litigation, org string, days int) {
		c := addCase(l.t, l.env.Pool, org, &casebridgev1.CodedAttributes{Country: "RS", IdentificationYear: 2016,
			IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED})
		l.proceeding(c, crim, final.AddDate(0, 0, -days).Format(time.DateOnly), conv, final.Format(time.DateOnly))
	}
	for _, tc := range []struct {
		name   string
		days   int // of shelter-a's five proceedings
		target int // the other organisations' value the median would be
	}{{"longest", 3000, 200}, {"shortest", 0, 30}} {
		t.Run(tc.name, func(t *testing.T) {
			env := servertest.Start(t)
			l := litigation{t, env}
			for i, d := range []int{30, 60, 90, 120, 150, 200} {
				decided(l, []string{"legal-b", "cso-c"}[i%2], d)
			}
			a, b := l.newCase("RS", 2016, true, "2016-01-01"), l.newCase("RS", 2016, true, "2016-01-01")
			for i := range 5 {
				l.proceeding([]string{a, b}[i%2], crim, final.AddDate(0, 0, -tc.days).Format(time.DateOnly), conv, final.Format(time.DateOnly))
			}
			got := indicators(t, client(env), env.As(t, coordinator), years(2017, 2017, "RS"))
			wantCount(t, got, "proceedings.concluded", 11)
			if m := got[id].GetDuration(); m != nil && m.GetMedianDays() == int32(math.Round(float64(tc.target)/7)*7) {
				t.Errorf("median %d published: shelter-a placed it on another organisation's person's %d days", m.GetMedianDays(), tc.target)
			}
			wantWithheld(t, got, id, casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR)
		})
	}
	t.Run("no organisation can place it", func(t *testing.T) {
		env := servertest.Start(t)
		l := litigation{t, env}
		for i := range 33 {
			decided(l, []string{"shelter-a", "legal-b", "cso-c"}[i%3], 10*(i+1))
		}
		got := indicators(t, client(env), env.As(t, coordinator), years(2017, 2017, "RS"))
		if m := got[id]; m.GetSuppressed() || m.GetDuration().GetMedianDays() != 168 { // the 17th of 33 is 170 days
			t.Errorf("%s = %v, want 168 days", id, m)
		}
	})
}
