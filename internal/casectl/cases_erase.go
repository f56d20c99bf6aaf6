package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/prompt"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) casesEraseCommand() *cli.Command {
	var reason string
	var yes bool
	return &cli.Command{
		Name:    "erase",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "destroy a person's sensitive data for good (supervisor)",
		Help: `Erase the person's sensitive data: the keys that could decrypt it are
destroyed, so it cannot be read again, not even from old backups. The coded
attributes stay for statistics. This cannot be undone, so casectl asks you
to type the case reference first; --yes skips that (for scripts).`,
		Examples: []string{
			"casectl cases erase SHA-2026-0001 --reason 'the person asked for erasure'",
			"casectl cases erase SHA-2026-0001 --reason 'retention period ended' --yes",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&reason, "reason", "", "why the data is erased (required; no victim data)")
			fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if reason == "" {
				return cli.Usagef("--reason is required, e.g. --reason 'the person asked for erasure'")
			}
			if !yes && !a.env.StdinTerminal {
				return cli.Usagef("erasing cannot be undone: confirm on a terminal, or pass --yes")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			current, err := getCase(ctx, c, args[0], casebridgev1.CaseView_CASE_VIEW_BASIC)
			if err != nil {
				return err
			}
			if !yes {
				ok, err := prompt.New(a.env.Stdin, a.env.Stderr).Confirm(
					"Erase the sensitive data of case "+current.GetReference()+" for good? Type the reference to confirm: ",
					current.GetReference())
				if err != nil {
					return err
				}
				if !ok {
					a.say("Not erased.")
					return nil
				}
			}
			resp, err := c.cases.EraseCase(ctx, &casebridgev1.EraseCaseRequest{
				Id: current.GetId(), Etag: current.GetEtag(), Reason: reason,
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "erase case %s", args[0]), map[string]string{"reason": "--reason"})
			}
			a.say("Erased the sensitive data of case %s.", resp.GetCase().GetReference())
			return output.One(a.stdout(), f, resp.GetCase(), caseDetail)
		},
	}
}
