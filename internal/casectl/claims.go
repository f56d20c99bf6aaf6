package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) claimsCommand() *cli.Command {
	return &cli.Command{
		Name:    "claims",
		Summary: "compensation claims, from filing to award (lawyers)",
		Help: `Track a person's compensation claims: what was claimed, what was awarded and
— with 'casectl payments' — what was actually paid; the gap is what
monitoring networks report. Amounts are written "1234.50 EUR": a dot for
decimals, no thousands separators, and an ISO 4217 currency.

CLAIM is a claim id, or a case reference whose case has one claim.`,
		Examples: []string{
			"casectl claims new SHA-2026-0001 --type criminal-proceedings --against defendant --amount '5000 EUR'",
			"casectl claims file SHA-2026-0001 --date 2026-11-02",
			"casectl claims award SHA-2026-0001 --amount '3000 EUR' --date 2026-12-15",
			"casectl claims list SHA-2026-0001",
		},
		Sub: []*cli.Command{
			a.claimsNewCommand(),
			a.claimsListCommand(),
			a.claimsShowCommand(),
			a.claimsFileCommand(),
			a.claimsAwardCommand(),
		},
	}
}

func (a *app) claimsNewCommand() *cli.Command {
	var typ, against, name, amount, proceeding string
	return &cli.Command{
		Name:    "new",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record a claim, as a draft",
		Help: `Record a compensation claim for the person of case REF. It starts as a draft;
'claims file' records when it was filed. The respondent is the other side
(a defendant, an employer, a state fund): never the victim.`,
		Examples: []string{
			"casectl claims new SHA-2026-0001 --type criminal-proceedings --against defendant --amount '5000 EUR'",
			"casectl claims new SHA-2026-0001 --type state-fund --against state-fund --name 'Victim Compensation Fund' --amount '300000 RSD'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&typ, "type", "", "route of the claim: "+choices[casebridgev1.ClaimType]()+" (required)")
			fs.StringVar(&against, "against", "", "kind of respondent: "+choices[casebridgev1.ClaimPartyKind]())
			fs.StringVar(&name, "name", "", "respondent's name, e.g. a company or fund (no victim data)")
			fs.StringVar(&amount, "amount", "", "`amount` claimed, e.g. '5000.00 EUR'")
			fs.StringVar(&proceeding, "proceeding", "", "`id` of the proceeding the claim is made in")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if typ == "" {
				return cli.Usagef("--type is required: %s", choices[casebridgev1.ClaimType]())
			}
			claim := &casebridgev1.Claim{ProceedingId: proceeding}
			var err error
			if claim.Type, err = parseEnum[casebridgev1.ClaimType]("--type", typ); err != nil {
				return err
			}
			if against != "" || name != "" {
				claim.Respondent = &casebridgev1.ClaimParty{Name: name}
				if against != "" {
					if claim.Respondent.Kind, err = parseEnum[casebridgev1.ClaimPartyKind]("--against", against); err != nil {
						return err
					}
				}
			}
			if amount != "" {
				if claim.AmountClaimed, err = parseMoney("--amount", amount); err != nil {
					return err
				}
			}
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
			resp, err := c.compensation.CreateClaim(ctx, &casebridgev1.CreateClaimRequest{CaseId: id, Claim: claim})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record claim on %s", args[0]), map[string]string{
					"claim.type": "--type", "claim.respondent.kind": "--against", "claim.respondent.name": "--name",
					"claim.amount_claimed": "--amount", "claim.proceeding_id": "--proceeding",
				})
			}
			a.say("Claim recorded on %s as a draft.", args[0])
			return output.One(a.stdout(), f, resp.GetClaim(), claimDetail)
		},
	}
}

func (a *app) claimsListCommand() *cli.Command {
	var status, proceeding string
	var limit int
	return &cli.Command{
		Name:    "list",
		Args:    "[REF]",
		MaxArgs: 1,
		Summary: "list claims, of one case or all you can see",
		Examples: []string{
			"casectl claims list",
			"casectl claims list SHA-2026-0001 --output csv",
			"casectl claims list --status partially-paid",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&status, "status", "", "only claims in this `status`: "+choices[casebridgev1.ClaimStatus]())
			fs.StringVar(&proceeding, "proceeding", "", "only claims made in this proceeding (`id`)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListClaimsRequest{ProceedingId: proceeding}
			if status != "" {
				if req.Status, err = parseEnum[casebridgev1.ClaimStatus]("--status", status); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
					return err
				}
			}
			claims, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Claim, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.compensation.ListClaims(ctx, req)
				return resp.GetClaims(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list claims"), map[string]string{"proceeding_id": "--proceeding"})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, claims, claimColumns)
		},
	}
}

func (a *app) claimsShowCommand() *cli.Command {
	return &cli.Command{
		Name:     "show",
		Args:     "CLAIM",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  "show one claim: claimed, awarded, paid, outstanding",
		Examples: []string{"casectl claims show SHA-2026-0001", "casectl claims show 4c59a51c-1e6d-3d2a-0b6f-6d1f3f0f7b2e --output json"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			claim, err := getClaim(ctx, c, args[0])
			if err != nil {
				return err
			}
			return output.One(a.stdout(), f, claim, claimDetail)
		},
	}
}

// getClaim resolves CLAIM and reads it.
func getClaim(ctx context.Context, c *clients, arg string) (*casebridgev1.Claim, error) {
	id, err := claimID(ctx, c, arg)
	if err != nil {
		return nil, err
	}
	resp, err := c.compensation.GetClaim(ctx, &casebridgev1.GetClaimRequest{Id: id})
	if err != nil {
		return nil, explain.Wrap(err, "claim %s", arg)
	}
	return resp.GetClaim(), nil
}
