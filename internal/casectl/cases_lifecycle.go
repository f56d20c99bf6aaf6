package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) casesAssignCommand() *cli.Command {
	var to string
	return &cli.Command{
		Name:    "assign",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "give a case to a caseworker (supervisor)",
		Help:    "Give the case to a caseworker or supervisor of the organisation that owns it. Supervisors only.",
		Examples: []string{
			"casectl cases assign SHA-2026-0001 --to caseworker@shelter-a",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&to, "to", "", "`subject` of the caseworker (required)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if to == "" {
				return cli.Usagef("--to SUBJECT is required, e.g. --to caseworker@shelter-a")
			}
			return a.caseChange(ctx, args[0], "assign", "assigned to "+to, func(c *clients, id string) (*casebridgev1.Case, error) {
				resp, err := c.cases.AssignCase(ctx, &casebridgev1.AssignCaseRequest{Id: id, Caseworker: to})
				return resp.GetCase(), explain.WithFlags(err, map[string]string{"caseworker": "--to"})
			})
		},
	}
}

func (a *app) casesCloseCommand() *cli.Command {
	var reason string
	return &cli.Command{
		Name:    "close",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "end assistance on a case (supervisor)",
		Help:    "Close the case: assistance has ended. The case and its history stay; a supervisor can reopen it.",
		Examples: []string{
			"casectl cases close SHA-2026-0001 --reason 'reintegration completed'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&reason, "reason", "", "why (kept with the case history; no victim data)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			return a.caseChange(ctx, args[0], "close", "closed", func(c *clients, id string) (*casebridgev1.Case, error) {
				resp, err := c.cases.CloseCase(ctx, &casebridgev1.CloseCaseRequest{Id: id, Reason: reason})
				return resp.GetCase(), explain.WithFlags(err, map[string]string{"reason": "--reason"})
			})
		},
	}
}

func (a *app) casesReopenCommand() *cli.Command {
	var reason string
	return &cli.Command{
		Name:    "reopen",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "bring a closed case back to assistance (supervisor)",
		Help:    "Reopen a closed case: it returns to in-assistance.",
		Examples: []string{
			"casectl cases reopen SHA-2026-0001 --reason 'returned to the shelter'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&reason, "reason", "", "why (kept with the case history; no victim data)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			return a.caseChange(ctx, args[0], "reopen", "reopened", func(c *clients, id string) (*casebridgev1.Case, error) {
				resp, err := c.cases.ReopenCase(ctx, &casebridgev1.ReopenCaseRequest{Id: id, Reason: reason})
				return resp.GetCase(), explain.WithFlags(err, map[string]string{"reason": "--reason"})
			})
		},
	}
}

// caseChange resolves REF, makes one change (verb, for errors; done, for
// the confirmation) and shows the case after it.
func (a *app) caseChange(ctx context.Context, ref, verb, done string, change func(c *clients, id string) (*casebridgev1.Case, error)) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	id, err := caseID(ctx, c, ref)
	if err != nil {
		return err
	}
	changed, err := change(c, id)
	if err != nil {
		return explain.Wrap(err, "%s case %s", verb, ref)
	}
	a.say("Case %s %s; status: %s.", changed.GetReference(), done, enumName(changed.GetStatus()))
	return output.One(a.stdout(), f, changed, caseDetail)
}
