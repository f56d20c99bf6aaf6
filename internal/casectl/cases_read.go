package casectl

import (
	"context"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) casesListCommand() *cli.Command {
	var status, assigned, form, org, since string
	var limit int
	return &cli.Command{
		Name:    "list",
		Summary: "list cases, most recently changed first",
		Help: `List the cases your organisation owns or receives by referral, most recently
changed first. The list shows coded attributes only: reading it decrypts
nothing and is not audited as a read of victim data.`,
		Examples: []string{
			"casectl cases list",
			"casectl cases list --status in-assistance --assigned caseworker@shelter-a",
			"casectl cases list --form forced-labour --since 2026-01-01 --output csv",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&status, "status", "", "only cases in this `status`: "+choices[casebridgev1.CaseStatus]())
			fs.StringVar(&assigned, "assigned", "", "only cases assigned to this `subject`")
			fs.StringVar(&form, "form", "", "only cases with this form of exploitation")
			fs.StringVar(&org, "org", "", "only cases owned by this organisation")
			fs.StringVar(&since, "since", "", "only cases changed on or after this `date` (YYYY-MM-DD)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListCasesRequest{AssignedCaseworker: assigned, OrganizationId: org}
			if status != "" {
				if req.Status, err = parseEnum[casebridgev1.CaseStatus]("--status", status); err != nil {
					return err
				}
			}
			if form != "" {
				if req.ExploitationForm, err = parseEnum[casebridgev1.ExploitationForm]("--form", form); err != nil {
					return err
				}
			}
			if since != "" {
				day, err := time.ParseInLocation("2006-01-02", since, time.Local)
				if err != nil {
					return cli.Usagef("--since: %q is not a date: write YYYY-MM-DD", since)
				}
				req.UpdatedSince = timestamppb.New(day)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			cases, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Case, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.cases.ListCases(ctx, req)
				return resp.GetCases(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list cases"), map[string]string{
					"assigned_caseworker": "--assigned", "organization_id": "--org",
				})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, cases, caseListColumns)
		},
	}
}

func (a *app) casesShowCommand() *cli.Command {
	var basic bool
	return &cli.Command{
		Name:    "show",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "show a case with every class you may read",
		Help: `Show one case: its coded attributes and every sensitive class your role (and,
for a shared case, the referral) lets you read; the others are listed as
not shown. Reading sensitive classes is recorded in the audit log; --basic
shows the coded attributes only, without decrypting anything.`,
		Examples: []string{
			"casectl cases show SHA-2026-0001",
			"casectl cases show SHA-2026-0001 --basic",
			"casectl cases show 0b6f0c1e-3d2a-4c59-9a51-6d1f3f0f7b2e --output json",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&basic, "basic", false, "coded attributes and status only (nothing decrypted or audited)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			view := casebridgev1.CaseView_CASE_VIEW_FULL
			if basic {
				view = casebridgev1.CaseView_CASE_VIEW_BASIC
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			got, err := getCase(ctx, c, args[0], view)
			if err != nil {
				return err
			}
			return output.One(a.stdout(), f, got, caseDetail)
		},
	}
}

// getCase resolves REF and reads the case in view.
func getCase(ctx context.Context, c *clients, ref string, view casebridgev1.CaseView) (*casebridgev1.Case, error) {
	id, err := caseID(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	resp, err := c.cases.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id, View: view})
	if err != nil {
		return nil, explain.Wrap(err, "case %s", ref)
	}
	return resp.GetCase(), nil
}
