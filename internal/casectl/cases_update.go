package casectl

import (
	"context"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) casesUpdateCommand() *cli.Command {
	var (
		vals           caseFlags
		status, reason string
	)
	return &cli.Command{
		Name:    "update",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "change attributes of a case, or pause and resume assistance",
		Help: `Change the attributes given as flags, and only those; an empty value ("")
clears one. The change is made against the version of the case just read,
so a change someone else made meanwhile is never overwritten silently.

--status in-assistance starts (or resumes) assistance, --status suspended
pauses it; closing and reopening have their own commands.`,
		Examples: []string{
			"casectl cases update SHA-2026-0001 --phone '+381 60 000 0000' --country RS",
			"casectl cases update SHA-2026-0001 --identification identified",
			"casectl cases update SHA-2026-0001 --needs -   # reads the text from standard input",
			"casectl cases update SHA-2026-0001 --status suspended --reason 'unreachable for two weeks'",
		},
		Flags: func(fs *pflag.FlagSet) {
			vals = registerCaseFlags(fs)
			fs.StringVar(&status, "status", "", "in-assistance or suspended")
			fs.StringVar(&reason, "reason", "", "with --status suspended: why (kept with the case history; no victim data)")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			given := vals.given(fs)
			if len(given) == 0 && status == "" {
				return cli.Usagef("nothing to change: give at least one attribute flag or --status")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := caseID(ctx, c, args[0])
			if err != nil {
				return err
			}
			updated, err := a.updateCaseFields(ctx, c, id, args[0], vals, given)
			if err != nil {
				return err
			}
			if status != "" {
				if updated, err = changeAssistance(ctx, c, id, args[0], status, reason); err != nil {
					return err
				}
			}
			a.say("Updated case %s.", updated.GetReference())
			return output.One(a.stdout(), f, updated, caseDetail)
		},
	}
}

// updateCaseFields applies the attribute flags under the case's current
// etag; with none given it only reads the case back.
func (a *app) updateCaseFields(ctx context.Context, c *clients, id, ref string, vals caseFlags, given []caseField) (*casebridgev1.Case, error) {
	current, err := c.cases.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_BASIC})
	if err != nil {
		return nil, explain.Wrap(err, "case %s", ref)
	}
	if len(given) == 0 {
		return current.GetCase(), nil
	}
	change := &casebridgev1.Case{Id: id}
	paths, err := a.applyCaseFlags(change, vals, given)
	if err != nil {
		return nil, err
	}
	resp, err := c.cases.UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{
		Case: change, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}, Etag: current.GetCase().GetEtag(),
	})
	if err != nil {
		return nil, explain.WithFlags(explain.Wrap(err, "update case %s", ref), caseFieldHints())
	}
	return resp.GetCase(), nil
}

// changeAssistance starts or suspends assistance.
func changeAssistance(ctx context.Context, c *clients, id, ref, status, reason string) (*casebridgev1.Case, error) {
	to, err := parseEnum[casebridgev1.CaseStatus]("--status", status)
	if err != nil {
		return nil, err
	}
	switch to {
	case casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE:
		resp, err := c.cases.StartAssistance(ctx, &casebridgev1.StartAssistanceRequest{Id: id})
		return resp.GetCase(), explain.Wrap(err, "start assistance on %s", ref)
	case casebridgev1.CaseStatus_CASE_STATUS_SUSPENDED:
		resp, err := c.cases.SuspendCase(ctx, &casebridgev1.SuspendCaseRequest{Id: id, Reason: reason})
		return resp.GetCase(), explain.WithFlags(explain.Wrap(err, "suspend %s", ref), map[string]string{"reason": "--reason"})
	}
	return nil, cli.Usagef("--status: give in-assistance or suspended (use 'cases close' and 'cases reopen' to close and reopen)")
}
