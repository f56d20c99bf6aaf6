package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) proceedingsCommand() *cli.Command {
	return &cli.Command{
		Name:    "proceedings",
		Summary: "court proceedings in which a person takes part (lawyers)",
		Help: `Record and follow the court proceedings a lawyer takes on for a person:
court, docket number, stage, the victim's role, charges, protective
measures and the outcome. Proceedings hold no victim data. Lawyers of an
organisation the case was referred to for legal representation create and
change them; caseworkers of the owning organisation read their status.

PROCEEDING is a proceeding id, or a case reference whose case has one
proceeding.`,
		Examples: []string{
			"casectl proceedings new SHA-2026-0001 --kind criminal --stage indictment --court 'Higher Court in Belgrade' --docket 'K 123/2026' --tz Europe/Belgrade --role injured-party",
			"casectl proceedings list SHA-2026-0001",
			"casectl proceedings update SHA-2026-0001 --stage first-instance",
			"casectl proceedings outcome SHA-2026-0001 --kind conviction --date 2026-10-01 --sentence '5 years'",
			"casectl proceedings link SHA-2026-0001 --with CSO-2026-0004",
		},
		Sub: []*cli.Command{
			a.proceedingsNewCommand(),
			a.proceedingsListCommand(),
			a.proceedingsShowCommand(),
			a.proceedingsUpdateCommand(),
			a.proceedingsOutcomeCommand(),
			a.proceedingsLinkCommand(),
		},
	}
}

func (a *app) proceedingsNewCommand() *cli.Command {
	var p proceedingFlags
	var stage string
	return &cli.Command{
		Name:    "new",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record a proceeding on a case",
		Help: `Record a proceeding on the case REF. --kind and --tz are required; the stage
starts at investigation unless --stage says otherwise.`,
		Examples: []string{
			"casectl proceedings new SHA-2026-0001 --kind criminal --stage indictment --court 'Higher Court in Belgrade' --docket 'K 123/2026' --country RS --tz Europe/Belgrade --role injured-party --charge 'CC RS Art. 388(1)' --defendants 2",
			"casectl proceedings new SHA-2026-0001 --kind labour --tz Europe/Skopje --strategic --goal 'unpaid wages are owed to trafficked workers'",
		},
		Flags: func(fs *pflag.FlagSet) {
			p.register(fs)
			fs.StringVar(&stage, "stage", "", "stage reached: "+choices[casebridgev1.ProceedingStage]()+" (default investigation)")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, args []string) error {
			if p.kind == "" || p.tz == "" {
				return cli.Usagef("--kind and --tz are required, e.g. --kind criminal --tz Europe/Belgrade")
			}
			in, _, err := p.build(fs, a.env.Now())
			if err != nil {
				return err
			}
			if stage != "" {
				if in.Stage, err = parseEnum[casebridgev1.ProceedingStage]("--stage", stage); err != nil {
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
			resp, err := c.proceedings.CreateProceeding(ctx, &casebridgev1.CreateProceedingRequest{CaseId: id, Proceeding: in})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record proceeding on %s", args[0]), proceedingHints("proceeding."))
			}
			a.say("Proceeding recorded on %s.", args[0])
			return output.One(a.stdout(), f, resp.GetProceeding(), proceedingDetail)
		},
	}
}

func (a *app) proceedingsListCommand() *cli.Command {
	var lawyer string
	var strategic bool
	var limit int
	return &cli.Command{
		Name:    "list",
		Args:    "[REF]",
		MaxArgs: 1,
		Summary: "list proceedings, of one case or all you can see",
		Examples: []string{
			"casectl proceedings list",
			"casectl proceedings list SHA-2026-0001",
			"casectl proceedings list --lawyer lawyer@legal-b --strategic",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&lawyer, "lawyer", "", "only proceedings this lawyer (`subject`) is responsible for")
			fs.BoolVar(&strategic, "strategic", false, "only strategic litigation")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListProceedingsRequest{ResponsibleLawyer: lawyer, StrategicOnly: strategic}
			if len(args) == 1 {
				if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
					return err
				}
			}
			ps, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Proceeding, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.proceedings.ListProceedings(ctx, req)
				return resp.GetProceedings(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "list proceedings")
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, ps, proceedingColumns)
		},
	}
}

func (a *app) proceedingsShowCommand() *cli.Command {
	return &cli.Command{
		Name:     "show",
		Args:     "PROCEEDING",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  "show one proceeding",
		Examples: []string{"casectl proceedings show SHA-2026-0001", "casectl proceedings show 9a51c1e6-3d2a-4c59-0b6f-6d1f3f0f7b2e -o json"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			p, err := getProceeding(ctx, c, args[0])
			if err != nil {
				return err
			}
			return output.One(a.stdout(), f, p, proceedingDetail)
		},
	}
}

// getProceeding resolves PROCEEDING and reads it.
func getProceeding(ctx context.Context, c *clients, arg string) (*casebridgev1.Proceeding, error) {
	id, err := proceedingID(ctx, c, arg)
	if err != nil {
		return nil, err
	}
	resp, err := c.proceedings.GetProceeding(ctx, &casebridgev1.GetProceedingRequest{Id: id})
	if err != nil {
		return nil, explain.Wrap(err, "proceeding %s", arg)
	}
	return resp.GetProceeding(), nil
}
