package casectl

import (
	"context"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) referralsCommand() *cli.Command {
	return &cli.Command{
		Name:    "referrals",
		Summary: "follow and answer referrals",
		Help: `List the referrals your organisation sent or received, answer the ones it
received (accept, decline, complete), withdraw the ones it sent, and watch
changes live.

A referral is named by its id, or by its case reference when that case has
just one referral in the state the command needs (e.g. one pending referral
to accept).`,
		Examples: []string{
			"casectl referrals list --incoming --status pending",
			"casectl referrals accept SHA-2026-0001",
			"casectl referrals decline SHA-2026-0001 --reason 'no capacity this month'",
			"casectl referrals watch",
		},
		Sub: []*cli.Command{
			a.referralsListCommand(),
			a.referralsShowCommand(),
			a.referralsAcceptCommand(),
			a.referralsDeclineCommand(),
			a.referralsCompleteCommand(),
			a.referralsWithdrawCommand(),
			a.referralsWatchCommand(),
		},
	}
}

func (a *app) referralsListCommand() *cli.Command {
	var incoming, outgoing bool
	var statuses, caseRef, org string
	var limit int
	return &cli.Command{
		Name:    "list",
		Summary: "list referrals sent or received, most recently changed first",
		Examples: []string{
			"casectl referrals list",
			"casectl referrals list --incoming --status pending",
			"casectl referrals list --case SHA-2026-0001 --output json",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&incoming, "incoming", false, "only referrals your organisation received")
			fs.BoolVar(&outgoing, "outgoing", false, "only referrals your organisation sent")
			fs.StringVar(&statuses, "status", "", "only these `statuses`, comma-separated: "+choices[casebridgev1.ReferralStatus]())
			fs.StringVar(&caseRef, "case", "", "only referrals of this case (`REF`)")
			fs.StringVar(&org, "org", "", "the organisation to list for, when you belong to several")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListReferralsRequest{OrganizationId: org}
			switch {
			case incoming && outgoing:
				req.Direction = casebridgev1.ReferralDirection_REFERRAL_DIRECTION_BOTH
			case incoming:
				req.Direction = casebridgev1.ReferralDirection_REFERRAL_DIRECTION_INCOMING
			case outgoing:
				req.Direction = casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING
			}
			if req.Statuses, err = parseEnums[casebridgev1.ReferralStatus]("--status", statuses); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			// A receiver may not be able to look the case up yet (before it
			// accepts), so a reference is matched on the referrals themselves.
			wantRef := ""
			switch {
			case isID(caseRef):
				req.CaseId = caseRef
			case caseRef != "":
				wantRef = strings.ToUpper(strings.TrimSpace(caseRef))
			}
			refs, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Referral, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.referrals.ListReferrals(ctx, req)
				return filterReferrals(resp.GetReferrals(), wantRef), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list referrals"), map[string]string{"statuses": "--status", "organization_id": "--org", "case_id": "--case"})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, refs, referralColumns)
		},
	}
}

func filterReferrals(rs []*casebridgev1.Referral, caseRef string) []*casebridgev1.Referral {
	if caseRef == "" {
		return rs
	}
	var out []*casebridgev1.Referral
	for _, r := range rs {
		if r.GetCaseReference() == caseRef {
			out = append(out, r)
		}
	}
	return out
}

func (a *app) referralsShowCommand() *cli.Command {
	return &cli.Command{
		Name:     "show",
		Args:     "ID",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  "show one referral",
		Examples: []string{"casectl referrals show 3d2a0c1e-6d1f-4c59-9a51-0b6f3f0f7b2e"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := referralFor(ctx, c, args[0], casebridgev1.ReferralDirection_REFERRAL_DIRECTION_BOTH)
			if err != nil {
				return err
			}
			return output.One(a.stdout(), f, r, referralDetail)
		},
	}
}
