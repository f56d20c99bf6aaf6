package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) casesSharingCommand() *cli.Command {
	return &cli.Command{
		Name:    "sharing",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "show who works on a case, for what (no sensitive data)",
		Help: `Show the coordination view of a case: its status and every referral made on
it — which organisation provides which service, and where it stands. Any
organisation working on the case sees it; it holds no sensitive data.`,
		Examples: []string{"casectl cases sharing SHA-2026-0001"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := caseID(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.referrals.GetCaseSharing(ctx, &casebridgev1.GetCaseSharingRequest{CaseId: id})
			if err != nil {
				return explain.Wrap(err, "sharing of case %s", args[0])
			}
			s := resp.GetSharing()
			if f == output.JSON {
				return output.JSONObject(a.stdout(), s)
			}
			if f == output.Table {
				a.say("Case %s (owner %s) is %s.", s.GetCaseReference(), s.GetOwnerOrganizationId(), enumName(s.GetCaseStatus()))
			}
			return output.List(a.stdout(), f, s.GetReferrals(), summaryColumns)
		},
	}
}

var summaryColumns = []output.Column[*casebridgev1.ReferralSummary]{
	output.Col("referral", (*casebridgev1.ReferralSummary).GetId),
	output.Col("from", (*casebridgev1.ReferralSummary).GetFromOrganizationId),
	output.Col("to", (*casebridgev1.ReferralSummary).GetToOrganizationId),
	output.Col("service", func(r *casebridgev1.ReferralSummary) string { return enumName(r.GetService()) }),
	output.Col("status", func(r *casebridgev1.ReferralSummary) string { return enumName(r.GetStatus()) }),
	output.Col("updated", func(r *casebridgev1.ReferralSummary) string { return datetime.Local(r.GetUpdateTime()) }),
}
