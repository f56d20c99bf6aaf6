package casectl

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// approvalSettingsOptions are what 'approvals settings show|set' were
// asked: the organisation (empty: the caller's only one) and, for set, the
// settings to change (nil: left as they are).
type approvalSettingsOptions struct {
	org      string
	plans    *bool
	closures *bool
}

// approvalSettingsDetail shows what an organisation's supervisors must
// approve.
var approvalSettingsDetail = []orgCol{
	output.Col("Organisation", (*casebridgev1.Organization).GetId),
	output.Col("Support plans need approval", func(o *casebridgev1.Organization) string {
		return yesNo(o.GetApprovals().GetSupportPlans())
	}),
	output.Col("Closures need approval", func(o *casebridgev1.Organization) string {
		return yesNo(o.GetApprovals().GetCaseClosures())
	}),
}

// approvalSettingsCommand is 'approvals settings'; runF, when not nil,
// replaces the calls to the server (tests of the command line give theirs).
func (a *app) approvalSettingsCommand(runF func(context.Context, *approvalSettingsOptions) error) *cli.Command {
	return &cli.Command{
		Name:    "settings",
		Summary: "what your organisation's supervisors must approve",
		Help: `Show or change whether, in your organisation, a support plan takes effect and
a case is closed only once a supervisor approved it. Anyone in the
organisation may look; only its org admin may change them. A change applies
to the next plan activated and the next case closed: requests already made
stand.`,
		Examples: []string{
			"casectl approvals settings show",
			"casectl approvals settings set --plans --closures=false",
			"casectl approvals settings set --org shelter-a --closures",
		},
		Sub: []*cli.Command{a.approvalSettingsShowCommand(runF), a.approvalSettingsSetCommand(runF)},
	}
}

func (a *app) approvalSettingsShowCommand(runF func(context.Context, *approvalSettingsOptions) error) *cli.Command {
	var o approvalSettingsOptions
	return &cli.Command{
		Name:     "show",
		Summary:  "what needs a supervisor's approval in your organisation",
		Examples: []string{"casectl approvals settings show", "casectl approvals settings show --org shelter-a --output json"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.org, "org", "", "the `organisation`, when you belong to several")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			if runF != nil {
				return runF(ctx, &o)
			}
			return a.approvalSettings(ctx, &o)
		},
	}
}

func (a *app) approvalSettingsSetCommand(runF func(context.Context, *approvalSettingsOptions) error) *cli.Command {
	var o approvalSettingsOptions
	var plans, closures bool
	return &cli.Command{
		Name:    "set",
		Summary: "require (or stop requiring) approval of support plans or closures (org admins)",
		Examples: []string{
			"casectl approvals settings set --plans",
			"casectl approvals settings set --plans=false --closures",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.org, "org", "", "the `organisation`, when you belong to several")
			fs.BoolVar(&plans, "plans", false, "a support plan takes effect only once approved (--plans=false: no longer)")
			fs.BoolVar(&closures, "closures", false, "a case is closed only with an approved closure (--closures=false: no longer)")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, _ []string) error {
			o.plans, o.closures = nil, nil
			if fs.Changed("plans") {
				o.plans = &plans
			}
			if fs.Changed("closures") {
				o.closures = &closures
			}
			if o.plans == nil && o.closures == nil {
				return cli.Usagef("say what to change: --plans, --closures (or =false)")
			}
			if runF != nil {
				return runF(ctx, &o)
			}
			return a.approvalSettings(ctx, &o)
		},
	}
}

// approvalSettings changes the settings o names, if any, and shows them.
func (a *app) approvalSettings(ctx context.Context, o *approvalSettingsOptions) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	org, err := a.ownOrg(ctx, c, o.org)
	if err != nil {
		return err
	}
	resp, err := c.orgs.GetOrganization(ctx, &casebridgev1.GetOrganizationRequest{Id: org})
	if err != nil {
		return explain.WithFlags(explain.Wrap(err, "read organisation %s", org), map[string]string{"id": "--org"})
	}
	got := resp.GetOrganization()
	if o.plans != nil || o.closures != nil {
		want := &casebridgev1.Organization{Id: org, Approvals: &casebridgev1.ApprovalSettings{}}
		var paths []string
		if o.plans != nil {
			want.Approvals.SupportPlans = *o.plans
			paths = append(paths, "approvals.support_plans")
		}
		if o.closures != nil {
			want.Approvals.CaseClosures = *o.closures
			paths = append(paths, "approvals.case_closures")
		}
		up, err := c.orgs.UpdateOrganization(ctx, &casebridgev1.UpdateOrganizationRequest{
			Organization: want, UpdateMask: maskOf(paths...), Etag: got.GetEtag()})
		if err != nil {
			return explain.Wrap(err, "change the approval settings of %s", org)
		}
		got = up.GetOrganization()
		a.say("Approval settings of %s changed.", org)
	}
	return output.One(a.stdout(), f, got, approvalSettingsDetail)
}

// ownOrg is org when given, else the caller's organisation if they belong
// to exactly one.
func (a *app) ownOrg(ctx context.Context, c *clients, org string) (string, error) {
	if org != "" {
		return org, nil
	}
	who, err := c.orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
	if err != nil {
		return "", explain.Wrap(err, "who am I")
	}
	switch ms := who.GetMemberships(); len(ms) {
	case 1:
		return ms[0].GetOrganizationId(), nil
	case 0:
		return "", cli.Usagef("you belong to no organisation: name one with --org")
	default:
		return "", cli.Usagef("you belong to %d organisations: say which with --org", len(ms))
	}
}
