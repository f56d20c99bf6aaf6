package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) claimsFileCommand() *cli.Command {
	var date string
	return &cli.Command{
		Name:    "file",
		Args:    "CLAIM",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record that a draft claim was filed",
		Examples: []string{
			"casectl claims file SHA-2026-0001",
			"casectl claims file SHA-2026-0001 --date 2026-11-02",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&date, "date", "", "`date` it was filed, YYYY-MM-DD (default today)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			var filed string
			if date != "" {
				var err error
				if filed, err = parseDate("--date", date, a.env.Now()); err != nil {
					return err
				}
			}
			return a.claimStep(ctx, args[0], "file", func(c *clients, claim *casebridgev1.Claim) (*casebridgev1.Claim, error) {
				resp, err := c.compensation.FileClaim(ctx, &casebridgev1.FileClaimRequest{Id: claim.GetId(), Etag: claim.GetEtag(), FiledDate: filed})
				return resp.GetClaim(), explain.WithFlags(err, map[string]string{"filed_date": "--date"})
			})
		},
	}
}

func (a *app) claimsAwardCommand() *cli.Command {
	var amount, date string
	return &cli.Command{
		Name:    "award",
		Args:    "CLAIM",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record the amount a filed claim was awarded",
		Help: `Record the award on a filed (or appealed) claim, in the claim's currency. An
award below the amount claimed makes the claim partially awarded. A
rejection is not a zero award.`,
		Examples: []string{
			"casectl claims award SHA-2026-0001 --amount '3000 EUR' --date 2026-12-15",
			"casectl claims award 4c59a51c-1e6d-3d2a-0b6f-6d1f3f0f7b2e --amount '250000.00 RSD' --date 2026-12-15",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&amount, "amount", "", "`amount` awarded, e.g. '3000.00 EUR' (required)")
			fs.StringVar(&date, "date", "", "`date` of the decision, YYYY-MM-DD (required)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if amount == "" || date == "" {
				return cli.Usagef("--amount and --date are required, e.g. --amount '3000 EUR' --date 2026-12-15")
			}
			m, err := parseMoney("--amount", amount)
			if err != nil {
				return err
			}
			decided, err := parseDate("--date", date, a.env.Now())
			if err != nil {
				return err
			}
			return a.claimStep(ctx, args[0], "record award on", func(c *clients, claim *casebridgev1.Claim) (*casebridgev1.Claim, error) {
				resp, err := c.compensation.RecordAward(ctx, &casebridgev1.RecordAwardRequest{
					Id: claim.GetId(), Etag: claim.GetEtag(), Amount: m, DecisionDate: decided,
				})
				return resp.GetClaim(), explain.WithFlags(err, map[string]string{"amount": "--amount", "decision_date": "--date"})
			})
		},
	}
}

// claimStep reads CLAIM, changes it against the version read and shows it.
func (a *app) claimStep(ctx context.Context, arg, verb string, step func(*clients, *casebridgev1.Claim) (*casebridgev1.Claim, error)) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	claim, err := getClaim(ctx, c, arg)
	if err != nil {
		return err
	}
	after, err := step(c, claim)
	if err != nil {
		return explain.Wrap(err, "%s claim %s", verb, arg)
	}
	a.say("Claim is now %s.", enumName(after.GetStatus()))
	return output.One(a.stdout(), f, after, claimDetail)
}
