package casectl

import (
	"context"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/enumarg"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) statsCommand() *cli.Command {
	return &cli.Command{
		Name:    "stats",
		Summary: "anonymised counts and monitoring indicators (coordinators)",
		Help: `Anonymised figures across organisations, for coordinators: never a record
about a person. Every count below the server's threshold k is withheld, and
so are counts from which a small one could be worked out. A withheld count
is shown as "withheld" with its reason: "fewer than k" (the only one that
says the figure is small), "protects another cell", "one organisation" (one
organisation holds nearly all of it), "differencing", "not verified in
time" (the check against combining figures ran out of time) or, for an
indicator, "rests on fewer than k" (a count of events, a median or a sum
taken over fewer than k persons or events, itself of any size).

With --noisy the counts are not exact but differentially private: every
count has random noise added, nothing is withheld, and each such query
spends part of a privacy budget shared by your network ("casectl stats
budget" shows what is left).`,
		Examples: []string{
			"casectl stats cases --by year,country,sex",
			"casectl stats cases --by year,form --csv > cases-by-year-and-form.csv",
			"casectl stats cases --by year,sex --noisy",
			"casectl stats budget",
			"casectl stats indicators --years 2020-2025 --country RS",
		},
		Sub: []*cli.Command{a.statsCasesCommand(), a.statsIndicatorsCommand(), a.statsBudgetCommand()},
	}
}

type statsFilterFlags struct {
	years, countries, sexes, nationalities, forms, orgKinds string
}

func (s *statsFilterFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.years, "year", "", "only these years of identification, comma-separated")
	fs.StringVar(&s.countries, "country", "", "only these countries of identification, comma-separated (e.g. RS,MK)")
	fs.StringVar(&s.sexes, "sex", "", "only these sexes, comma-separated")
	fs.StringVar(&s.nationalities, "nationality", "", "only these nationalities, comma-separated")
	fs.StringVar(&s.forms, "form", "", "only cases with one of these forms of exploitation, comma-separated")
	fs.StringVar(&s.orgKinds, "org-kind", "", "only cases of organisations of these kinds, comma-separated")
}

func (s *statsFilterFlags) build() (*casebridgev1.StatsFilter, error) {
	f := &casebridgev1.StatsFilter{}
	for _, y := range splitList(s.years) {
		n, err := strconv.ParseInt(y, 10, 32)
		if err != nil {
			return nil, cli.Usagef("--year: %q is not a year", y)
		}
		f.Years = append(f.Years, int32(n))
	}
	for _, c := range splitList(s.countries) {
		f.Countries = append(f.Countries, upper(c))
	}
	for _, c := range splitList(s.nationalities) {
		f.Nationalities = append(f.Nationalities, upper(c))
	}
	var err error
	if f.Sexes, err = parseEnums[casebridgev1.Sex]("--sex", s.sexes); err != nil {
		return nil, err
	}
	if f.ExploitationForms, err = parseEnums[casebridgev1.ExploitationForm]("--form", s.forms); err != nil {
		return nil, err
	}
	if f.OrganizationKinds, err = parseEnums[casebridgev1.OrganizationKind]("--org-kind", s.orgKinds); err != nil {
		return nil, err
	}
	return f, nil
}

var statsHints = map[string]string{
	"dimensions": "--by", "network": "--network", "filter.years": "--year", "filter.countries": "--country", "filter.sexes": "--sex",
	"filter.nationalities": "--nationality", "filter.exploitation_forms": "--form", "filter.organization_kinds": "--org-kind",
}

func (a *app) statsCasesCommand() *cli.Command {
	var by, network string
	var csvOut, noisy bool
	var filter statsFilterFlags
	return &cli.Command{
		Name:    "cases",
		Summary: "count cases by up to three coded attributes",
		Help: `Count cases by up to three of: ` + choices[casebridgev1.Dimension]() + `.
Rows with "(all)" are totals over that attribute; the last row is the grand
total. "unknown" counts cases where the attribute is not recorded. A case
with several forms of exploitation counts once under each.

--noisy asks for differentially private counts instead: each count plus
random noise (never below 0), every combination of values listed that
comes out above 0, nothing withheld. It spends part of the privacy budget
of your network (see "casectl stats budget"); asking the same again while
no case changed gives the same answer and spends nothing.`,
		Examples: []string{
			"casectl stats cases --by year,country,sex",
			"casectl stats cases --by year,country,sex --csv",
			"casectl stats cases --by age-band --country RS --year 2024,2025",
			"casectl stats cases --by year,sex --noisy",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&by, "by", "", "attributes to count by, comma-separated (at most 3)")
			fs.BoolVar(&csvOut, "csv", false, "shorthand for --output csv")
			fs.BoolVar(&noisy, "noisy", false, "differentially private counts (noise added, nothing withheld); spends privacy budget")
			fs.StringVar(&network, "network", "", "the network whose privacy budget --noisy spends (only if you coordinate several)")
			filter.register(fs)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if csvOut {
				f = output.CSV
			}
			dims, err := parseEnums[casebridgev1.Dimension]("--by", by)
			if err != nil {
				return err
			}
			flt, err := filter.build()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.stats.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims, Filter: flt, Noisy: noisy, Network: network})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "count cases"), statsHints)
			}
			noisyRelease := resp.GetRelease().GetMechanism() == casebridgev1.Mechanism_MECHANISM_DISCRETE_LAPLACE
			if f == output.JSON {
				return output.JSONObject(a.stdout(), resp)
			}
			headers, rows := crossTable(resp)
			if noisyRelease {
				headers[len(headers)-1] = "noisy count"
			}
			if f == output.CSV {
				return output.WriteCSV(a.stdout(), headers, rows)
			}
			if noisyRelease {
				a.say("%s", noisyNote(resp.GetRelease()))
			} else {
				a.say("Counts below %d are withheld, and so are counts that would give one away; each withheld count says why.", resp.GetK())
			}
			return output.WriteTable(a.stdout(), headers, rows)
		},
	}
}

// crossTable lays out the cells and then the totals, one row each: a
// column per dimension and the count.
func crossTable(resp *casebridgev1.CountCasesResponse) ([]string, [][]string) {
	dims := resp.GetDimensions()
	headers := make([]string, 0, len(dims)+1)
	for _, d := range dims {
		headers = append(headers, enumName(d))
	}
	headers = append(headers, "count")
	var rows [][]string
	for _, group := range [][]*casebridgev1.Cell{resp.GetCells(), resp.GetTotals()} {
		for _, cell := range group {
			row := make([]string, len(dims)+1)
			for i := range dims {
				row[i] = "(all)"
			}
			for _, v := range cell.GetValues() {
				for i, d := range dims {
					if v.GetDimension() == d {
						row[i] = dimensionValue(d, v.GetValue())
					}
				}
			}
			row[len(dims)] = countText(cell, resp.GetK())
			rows = append(rows, row)
		}
	}
	return headers, rows
}

// countText shows a withheld count as "withheld" with its reason, never
// as a number.
func countText(c *casebridgev1.Cell, k int32) string {
	if c.GetSuppressed() {
		return withheldText(c.GetWithheldReason(), k)
	}
	return strconv.FormatInt(c.GetCount(), 10)
}

// withheldText says why a figure was withheld. Only a primary figure is
// said to be small: one withheld to protect another may be of any size,
// and calling it "<5" would publish a false figure.
func withheldText(r casebridgev1.WithheldReason, k int32) string {
	switch r {
	case casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:
		return "withheld (fewer than " + strconv.Itoa(int(k)) + ")"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY:
		return "withheld (protects another cell)"
	case casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR:
		return "withheld (one organisation)"
	case casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING:
		return "withheld (differencing)"
	case casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED:
		return "withheld (not verified in time)"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE:
		return "withheld (rests on fewer than " + strconv.Itoa(int(k)) + ")"
	}
	return "withheld"
}

// dimensionValue shows a cell coordinate the way it is typed: "female",
// "18-20", "RS", "2024", "unknown".
func dimensionValue(d casebridgev1.Dimension, v string) string {
	if v == "" {
		return "unknown"
	}
	var short string
	switch d {
	case casebridgev1.Dimension_DIMENSION_SEX:
		short = shortOf[casebridgev1.Sex](v)
	case casebridgev1.Dimension_DIMENSION_AGE_BAND:
		short = shortOf[casebridgev1.AgeBand](v)
	case casebridgev1.Dimension_DIMENSION_CHILD:
		short = shortOf[casebridgev1.ChildStatus](v)
	case casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM:
		short = shortOf[casebridgev1.ExploitationForm](v)
	case casebridgev1.Dimension_DIMENSION_IDENTIFICATION_STATUS:
		short = shortOf[casebridgev1.IdentificationStatus](v)
	case casebridgev1.Dimension_DIMENSION_ORGANIZATION_KIND:
		short = shortOf[casebridgev1.OrganizationKind](v)
	}
	return firstNonEmpty(short, v)
}

// shortOf turns an enum value name ("SEX_FEMALE") into its short name;
// "" when it is not one of E's names.
func shortOf[E enumarg.Enum](name string) string {
	if strings.HasSuffix(name, "_UNSPECIFIED") {
		return "unknown"
	}
	v, err := enumarg.Parse[E](name)
	if err != nil {
		return ""
	}
	return enumarg.Name(v)
}
