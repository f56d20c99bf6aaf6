package casectl

import (
	"strconv"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

// proceedingFlags are the editable attributes of a proceeding, shared by
// 'proceedings new' and 'proceedings update'.
type proceedingFlags struct {
	kind, court, docket, country, tz, role string
	charges                                stringList
	defendants                             int
	measures, lawyer, goal, started        string
	strategic                              bool
}

// stringList is a repeatable flag: --charge A --charge B.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, "; ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Type names the value in --help.
func (s *stringList) Type() string { return "text" }

func (p *proceedingFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.kind, "kind", "", "branch of law: "+choices[casebridgev1.ProceedingKind]())
	fs.StringVar(&p.court, "court", "", "court or prosecutor's office, e.g. 'Higher Court in Belgrade'")
	fs.StringVar(&p.docket, "docket", "", "the court's case number, e.g. 'K 123/2026'")
	fs.StringVar(&p.country, "country", "", "country whose courts hear it (ISO 3166-1 alpha-2)")
	fs.StringVar(&p.tz, "tz", "", "the court's IANA time `zone`, e.g. Europe/Belgrade")
	fs.StringVar(&p.role, "role", "", "the victim's role: "+choices[casebridgev1.VictimRole]())
	fs.Var(&p.charges, "charge", "an article charged or relied on, e.g. 'CC RS Art. 388(1)' (repeat for several)")
	fs.IntVar(&p.defendants, "defendants", 0, "number of defendants")
	fs.StringVar(&p.measures, "measures", "", "protective measures granted, comma-separated: "+choices[casebridgev1.ProtectiveMeasure]())
	fs.StringVar(&p.lawyer, "lawyer", "", "`subject` of the responsible lawyer (default: you, if you are a lawyer)")
	fs.BoolVar(&p.strategic, "strategic", false, "flag as strategic litigation (--strategic=false to unflag)")
	fs.StringVar(&p.goal, "goal", "", "what the strategic litigation aims at (plain text, no victim data)")
	fs.StringVar(&p.started, "started", "", "`date` the proceeding started (YYYY-MM-DD): complaint, charge or claim")
}

// proceedingPaths maps flags to the proceeding's update-mask paths.
var proceedingPaths = []struct{ flag, path string }{
	{"kind", "kind"}, {"court", "court"}, {"docket", "docket_number"}, {"country", "jurisdiction_country"},
	{"tz", "court_time_zone"}, {"role", "victim_role"}, {"charge", "charges"}, {"defendants", "defendant_count"},
	{"measures", "protective_measures"}, {"lawyer", "responsible_lawyer"}, {"strategic", "strategic"},
	{"goal", "strategic_goal"}, {"started", "start_date"},
}

// build fills a Proceeding from the flags that were given, and returns
// their update-mask paths.
func (p *proceedingFlags) build(fs *pflag.FlagSet, now time.Time) (*casebridgev1.Proceeding, []string, error) {
	out := &casebridgev1.Proceeding{
		Court: p.court, DocketNumber: p.docket, JurisdictionCountry: upper(p.country), CourtTimeZone: p.tz,
		ResponsibleLawyer: p.lawyer, Strategic: p.strategic, StrategicGoal: p.goal,
		DefendantCount: int32(p.defendants),
	}
	for _, c := range p.charges {
		if c = strings.TrimSpace(c); c != "" {
			out.Charges = append(out.Charges, c)
		}
	}
	var err error
	if p.kind != "" {
		if out.Kind, err = parseEnum[casebridgev1.ProceedingKind]("--kind", p.kind); err != nil {
			return nil, nil, err
		}
	}
	if p.role != "" {
		if out.VictimRole, err = parseEnum[casebridgev1.VictimRole]("--role", p.role); err != nil {
			return nil, nil, err
		}
	}
	if out.ProtectiveMeasures, err = parseEnums[casebridgev1.ProtectiveMeasure]("--measures", p.measures); err != nil {
		return nil, nil, err
	}
	if p.started != "" {
		if out.StartDate, err = parseDate("--started", p.started, now); err != nil {
			return nil, nil, err
		}
	}
	if p.defendants < 0 {
		return nil, nil, cli.Usagef("--defendants: %s is not a count", strconv.Itoa(p.defendants))
	}
	var paths []string
	for _, fp := range proceedingPaths {
		if cli.Set(fs, fp.flag) {
			paths = append(paths, fp.path)
		}
	}
	return out, paths, nil
}

// proceedingHints maps refused request fields back to flags.
func proceedingHints(prefix string) map[string]string {
	hints := map[string]string{"stage": "--stage", "proceeding.stage": "--stage", "case_id": "REF"}
	for _, fp := range proceedingPaths {
		hints[prefix+fp.path] = "--" + fp.flag
	}
	return hints
}
