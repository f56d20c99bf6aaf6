package casectl

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/money"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) statsIndicatorsCommand() *cli.Command {
	var years, from, to, country string
	var csvOut bool
	return &cli.Command{
		Name:    "indicators",
		Summary: "monitoring indicators: proceedings, outcomes, durations, compensation",
		Help: `Compute the monitoring indicators for a period: proceedings opened and their
outcomes, how long they take, how many victims claimed compensation, were
awarded it and were actually paid. The period is --years (one year or a
range) or --from/--to dates; the default is this year. Figures resting on
fewer than k persons or events are withheld: a count below k reads
"withheld (fewer than k)", any other such figure "withheld (rests on fewer
than k)", since it may itself be large.`,
		Examples: []string{
			"casectl stats indicators",
			"casectl stats indicators --years 2020-2025 --country RS",
			"casectl stats indicators --from 2025-01-01 --to 2025-06-30 --csv",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&years, "years", "", "a `year` or a range of years, e.g. 2025 or 2020-2025")
			fs.StringVar(&from, "from", "", "first day of the period (YYYY-MM-DD)")
			fs.StringVar(&to, "to", "", "last day of the period (YYYY-MM-DD)")
			fs.StringVar(&country, "country", "", "only this country (ISO 3166-1 alpha-2)")
			fs.BoolVar(&csvOut, "csv", false, "shorthand for --output csv")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if csvOut {
				f = output.CSV
			}
			req, err := a.indicatorsRequest(years, from, to, country)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.stats.GetIndicators(ctx, req)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "compute indicators"), map[string]string{
					"dates.start_date": "--from", "dates.end_date": "--to", "dates": "--from/--to",
					"years.start_year": "--years", "years.end_year": "--years", "years": "--years", "country": "--country",
				})
			}
			if f == output.JSON {
				return output.JSONObject(a.stdout(), resp)
			}
			k := resp.GetTable().GetK()
			var rows [][]string
			for _, ind := range resp.GetTable().GetIndicators() {
				rows = append(rows, []string{ind.GetId(), ind.GetLabel(), indicatorValue(ind, k)})
			}
			if f == output.CSV {
				return output.WriteCSV(a.stdout(), []string{"id", "indicator", "value"}, rows)
			}
			for i := range rows {
				rows[i] = rows[i][1:]
			}
			return output.WriteTable(a.stdout(), []string{"indicator", "value"}, rows)
		},
	}
}

func (a *app) indicatorsRequest(years, from, to, country string) (*casebridgev1.GetIndicatorsRequest, error) {
	req := &casebridgev1.GetIndicatorsRequest{Country: upper(country)}
	switch {
	case years != "" && (from != "" || to != ""):
		return nil, cli.Usagef("give --years or --from/--to, not both")
	case from != "" || to != "":
		if from == "" || to == "" {
			return nil, cli.Usagef("--from and --to go together")
		}
		start, err := parseDate("--from", from, a.env.Now())
		if err != nil {
			return nil, err
		}
		end, err := parseDate("--to", to, a.env.Now())
		if err != nil {
			return nil, err
		}
		req.Period = &casebridgev1.GetIndicatorsRequest_Dates{Dates: &casebridgev1.DateRange{StartDate: start, EndDate: end}}
	default:
		first, last := a.env.Now().Year(), a.env.Now().Year()
		if years != "" {
			lo, hi, isRange := strings.Cut(years, "-")
			var err1, err2 error
			first, err1 = strconv.Atoi(strings.TrimSpace(lo))
			last, err2 = first, nil
			if isRange {
				last, err2 = strconv.Atoi(strings.TrimSpace(hi))
			}
			if err1 != nil || err2 != nil {
				return nil, cli.Usagef("--years: %q is not a year or a range like 2020-2025", years)
			}
		}
		req.Period = &casebridgev1.GetIndicatorsRequest_Years{Years: &casebridgev1.YearRange{StartYear: int32(first), EndYear: int32(last)}}
	}
	return req, nil
}

// indicatorValue shows a figure in its unit; a withheld one as
// "withheld" with its reason, never as a bound it may not meet.
func indicatorValue(ind *casebridgev1.Indicator, k int32) string {
	if ind.GetSuppressed() {
		return withheldText(ind.GetWithheldReason(), k)
	}
	switch v := ind.GetValue().(type) {
	case *casebridgev1.Indicator_Count:
		return strconv.FormatInt(v.Count, 10)
	case *casebridgev1.Indicator_Money:
		parts := make([]string, 0, len(v.Money.GetAmounts()))
		for _, m := range v.Money.GetAmounts() {
			parts = append(parts, money.Format(m))
		}
		if len(parts) == 0 {
			return "0"
		}
		return strings.Join(parts, "; ")
	case *casebridgev1.Indicator_Duration:
		return fmt.Sprintf("%d days (median)", v.Duration.GetMedianDays())
	case *casebridgev1.Indicator_Ratio:
		bp := v.Ratio.GetBasisPoints()
		return fmt.Sprintf("%d.%02d%%", bp/100, bp%100)
	}
	return ""
}
