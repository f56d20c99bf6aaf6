package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) casesNewCommand() *cli.Command {
	var (
		vals               caseFlags
		org                string
		interactive, quiet bool
	)
	return &cli.Command{
		Name:    "new",
		Summary: "open a case at intake",
		Help: `Open a case. Everything may be unknown at first and added later with
'cases update'. On a terminal, when no attribute flag is given, casectl asks
for the usual intake answers one by one (Enter skips a question); typing a
name at a prompt keeps it out of the shell history. Elsewhere (scripts),
give the attributes as flags.`,
		Examples: []string{
			"casectl cases new",
			"casectl cases new --sex female --age-band 18-20 --nationality UA --country RS --year 2026 --forms sexual --identification presumed",
			"casectl cases new --nationality MD --forms forced-labour,begging --no-input",
		},
		Flags: func(fs *pflag.FlagSet) {
			vals = registerCaseFlags(fs)
			fs.StringVar(&org, "org", "", "organisation that owns the case, when you belong to several")
			fs.BoolVar(&interactive, "interactive", false, "ask for the intake answers not given as flags, even with flags given")
			fs.BoolVar(&quiet, "no-input", false, "never ask; use only the flags")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			given := vals.given(fs)
			c := &casebridgev1.Case{}
			if _, err := a.applyCaseFlags(c, vals, given); err != nil {
				return err
			}
			ask := a.env.StdinTerminal && !quiet && (interactive || len(given) == 0)
			if !ask && !quiet && len(given) == 0 {
				return cli.Usagef("standard input is not a terminal, so the intake questions cannot be asked: " +
					"give the attributes as flags (--sex female --nationality UA ...), or --no-input to open a case with nothing known yet")
			}
			if ask {
				if err := a.askIntake(c, given); err != nil {
					return err
				}
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			resp, err := cl.cases.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: c, OrganizationId: org})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "open case"), caseFieldHints())
			}
			created := resp.GetCase()
			a.say("Opened case %s.", created.GetReference())
			return output.One(a.stdout(), f, created, caseDetail)
		},
	}
}
