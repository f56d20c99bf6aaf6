package stats

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// GetIndicators computes the monitoring indicators for whole calendar
// years and, optionally, one country of identification. All figures are
// read in one snapshot, so that those that add up do. Each is published
// only when it rests on at least k events and k persons and survives the
// same contributor, differencing and secondary suppression as CountCases —
// with the period as a filter that is always present — applied to its
// events and to the persons behind them (selected.personRules),
// otherwise it comes back with suppressed set and no value. A period with
// no event at all gives zeros.
func (s *Service) GetIndicators(ctx context.Context, req *casebridgev1.GetIndicatorsRequest) (*casebridgev1.GetIndicatorsResponse, error) {
	auditIndicators(ctx, req)
	if _, err := authz.Caller(ctx); err != nil {
		return nil, err
	}
	p, err := periodOf(req)
	if err != nil {
		return nil, err
	}
	if c := req.GetCountry(); c != "" && !iso.ValidCountry(c) {
		return nil, rpcerr.InvalidArgument("country", "%q is not an ISO 3166-1 alpha-2 country code", c)
	}
	sc := scope{period: p, country: req.GetCountry()}
	table := &casebridgev1.IndicatorTable{K: int32(s.k)}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, section := range []func(context.Context, pgx.Tx, scope) ([]*casebridgev1.Indicator, error){
			s.personIndicators, s.referralIndicators, s.proceedingIndicators, s.claimIndicators, s.moneyIndicators, s.victimIndicators, s.serviceIndicators,
		} {
			out, err := section(ctx, tx, sc)
			if err != nil {
				return err
			}
			table.Indicators = append(table.Indicators, out...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	return &casebridgev1.GetIndicatorsResponse{Table: table}, nil
}

func (s *Service) personIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	identified, err := s.figures(ctx, tx, identifiedEvents, sc, false)
	if err != nil {
		return nil, err
	}
	assisted, err := s.figures(ctx, tx, assistedEvents, sc, false)
	if err != nil {
		return nil, err
	}
	return []*casebridgev1.Indicator{
		count("persons.identified", "Persons officially identified as victims (by year of identification)", identified),
		count("persons.assisted", "Persons whose assistance began", assisted),
	}, nil
}

func (s *Service) referralIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	t, err := s.figures(ctx, tx, referralEvents, sc, false)
	if err != nil {
		return nil, err
	}
	return []*casebridgev1.Indicator{
		count("referrals.made", "Referrals made", t, total),
		count("referrals.accepted", "Referrals made in the period that were accepted", t, "yes"),
		medianDays(s.k, "referrals.median_days_to_acceptance", "Median days from referral to acceptance", t, "yes"),
	}, nil
}

func (s *Service) proceedingIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	opened, err := s.figures(ctx, tx, openedEvents, sc, false)
	if err != nil {
		return nil, err
	}
	out := []*casebridgev1.Indicator{count("proceedings.opened", "Proceedings opened", opened, total)}
	for _, k := range []casebridgev1.ProceedingKind{
		casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, casebridgev1.ProceedingKind_PROCEEDING_KIND_CIVIL,
		casebridgev1.ProceedingKind_PROCEEDING_KIND_ADMINISTRATIVE, casebridgev1.ProceedingKind_PROCEEDING_KIND_LABOUR,
	} {
		w := word(k.String(), "PROCEEDING_KIND_")
		out = append(out, count("proceedings.opened."+w, "Proceedings opened: "+w, opened, strconv.Itoa(int(k))))
	}
	concluded, err := s.figures(ctx, tx, concludedEvents, sc, false)
	if err != nil {
		return nil, err
	}
	out = append(out, count("proceedings.concluded", "Proceedings finally decided", concluded, total))
	for _, o := range []casebridgev1.OutcomeKind{
		casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, casebridgev1.OutcomeKind_OUTCOME_KIND_ACQUITTAL,
		casebridgev1.OutcomeKind_OUTCOME_KIND_DISMISSAL, casebridgev1.OutcomeKind_OUTCOME_KIND_SETTLEMENT,
		casebridgev1.OutcomeKind_OUTCOME_KIND_UNSPECIFIED,
	} {
		w := word(o.String(), "OUTCOME_KIND_")
		out = append(out, count("proceedings.outcome."+w, "Proceedings finally decided: "+w, concluded, strconv.Itoa(int(o))))
	}
	out = append(out, medianDays(s.k, "proceedings.median_days_to_final_decision",
		"Median days from the start of a proceeding to its final decision", concluded, total))
	strategic, err := s.figures(ctx, tx, strategicEvents, sc, false)
	if err != nil {
		return nil, err
	}
	out = append(out, count("proceedings.strategic", "Strategic-litigation proceedings opened (a trial of several co-victims counts once)", strategic))
	return out, nil
}

func (s *Service) claimIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	t, err := s.figures(ctx, tx, claimEvents, sc, false)
	if err != nil {
		return nil, err
	}
	return []*casebridgev1.Indicator{
		count("claims.filed", "Compensation claims filed", t, total, total),
		count("claims.awarded", "Claims filed in the period that were awarded", t, "yes", total),
		count("claims.paid", "Claims filed in the period on which anything was paid", t, total, "yes"),
	}, nil
}

// moneyIndicators give the amounts of the claims filed in the period, one
// indicator per currency: amounts in different currencies are never added,
// and one currency can be withheld while another is published.
func (s *Service) moneyIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	var out []*casebridgev1.Indicator
	for _, m := range []struct {
		id, label string
		ev        events
	}{
		{"claims.amount_claimed", "Amount claimed", claimedEvents},
		{"claims.amount_awarded", "Amount awarded", awardedEvents},
		{"claims.amount_paid", "Amount actually paid", paidEvents},
	} {
		t, err := s.figures(ctx, tx, m.ev, sc, true)
		if err != nil {
			return nil, err
		}
		var currencies []string
		for key, f := range t.facts {
			if key != total && f.events > 0 {
				currencies = append(currencies, key)
			}
		}
		slices.Sort(currencies)
		for _, cur := range currencies {
			ind := &casebridgev1.Indicator{Id: m.id + "." + cur, Label: m.label + " on claims filed in the period (" + cur + ")"}
			if sum, r := t.sum(cur); r == disclosure.Published {
				ind.Value = &casebridgev1.Indicator_Money{Money: &casebridgev1.MoneyAmounts{
					Amounts: []*casebridgev1.Money{{CurrencyCode: cur, AmountMinor: sum}},
				}}
			} else {
				ind.Suppressed, ind.WithheldReason = true, figureReason(r)
			}
			out = append(out, ind)
		}
	}
	return out, nil
}

func (s *Service) victimIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	t, err := s.figures(ctx, tx, victimEvents, sc, false)
	if err != nil {
		return nil, err
	}
	share := &casebridgev1.Indicator{Id: "victims.paid_share", Label: "Share of victims who claimed compensation and received any payment"}
	claimed, ok1 := t.at(total)
	paid, ok2 := t.at("yes")
	switch {
	case !ok1:
		share.Suppressed, share.WithheldReason = true, figureReason(t.reason(total))
	case !ok2:
		share.Suppressed, share.WithheldReason = true, figureReason(t.reason("yes"))
	case claimed > 0: // with nobody who claimed there is no share to give
		share.Value = &casebridgev1.Indicator_Ratio{Ratio: &casebridgev1.Ratio{
			BasisPoints: int32(math.Round(float64(paid) * 10000 / float64(claimed))),
		}}
	}
	return []*casebridgev1.Indicator{
		count("victims.claimed", "Victims who first claimed compensation in the period", t, total),
		count("victims.paid", "Of them, victims who received any payment", t, "yes"),
		share,
	}, nil
}

// serviceIndicators: who received which services, and how soon after
// their case was opened the first one arrived. Each figure goes through
// the same protection as every other (figures).
func (s *Service) serviceIndicators(ctx context.Context, tx pgx.Tx, sc scope) ([]*casebridgev1.Indicator, error) {
	delivered, err := s.figures(ctx, tx, serviceEvents, sc, false)
	if err != nil {
		return nil, err
	}
	out := []*casebridgev1.Indicator{count("services.delivered", "Services delivered", delivered, total)}
	for k := casebridgev1.ServiceKind_SERVICE_KIND_SHELTER; k <= casebridgev1.ServiceKind_SERVICE_KIND_RETURN; k++ {
		w := word(k.String(), "SERVICE_KIND_")
		out = append(out, count("services.delivered."+w, "Services delivered: "+w, delivered, strconv.Itoa(int(k))))
	}
	first, err := s.figures(ctx, tx, firstServiceEvents, sc, false)
	if err != nil {
		return nil, err
	}
	return append(out,
		count("services.persons_served", "Persons who received a first service", first),
		medianDays(s.k, "services.median_days_to_first_service", "Median days from the opening of a case to the first service delivered", first),
	), nil
}

// count makes a count indicator from a cell of t.
func count(id, label string, t *figureTable, at ...string) *casebridgev1.Indicator {
	ind := &casebridgev1.Indicator{Id: id, Label: label}
	if n, ok := t.at(at...); ok {
		ind.Value = &casebridgev1.Indicator_Count{Count: n}
	} else {
		ind.Suppressed, ind.WithheldReason = true, withheldReason(t.reason(at...))
	}
	return ind
}

// medianDays makes a duration indicator from the median of a cell of t,
// in days rounded to whole weeks (see figureTable.median). With no event
// there is no median: the indicator has no value but is not suppressed.
func medianDays(k int64, id, label string, t *figureTable, at ...string) *casebridgev1.Indicator {
	ind := &casebridgev1.Indicator{Id: id, Label: label + " (rounded to whole weeks)"}
	if m, r := t.median(k, at...); r == disclosure.Published {
		ind.Value = &casebridgev1.Indicator_Duration{Duration: &casebridgev1.DurationDays{MedianDays: int32(m)}}
	} else if n, ok := t.at(at...); !ok || n > 0 {
		ind.Suppressed, ind.WithheldReason = true, figureReason(r)
	}
	return ind
}

// word turns an enum value name into an indicator id word:
// PROCEEDING_KIND_CRIMINAL → criminal.
func word(name, prefix string) string {
	w := []byte(name[len(prefix):])
	for i, b := range w {
		if b >= 'A' && b <= 'Z' {
			w[i] = b + 'a' - 'A'
		}
	}
	return string(w)
}
