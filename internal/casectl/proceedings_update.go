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

func (a *app) proceedingsUpdateCommand() *cli.Command {
	var p proceedingFlags
	var stage string
	return &cli.Command{
		Name:    "update",
		Args:    "PROCEEDING",
		MinArgs: 1, MaxArgs: 1,
		Summary: "change a proceeding, or move it to a later stage",
		Help: `Change the attributes given as flags, and only those, against the version
just read. --stage moves the proceeding to a later stage; stages only move
forward, except that an appeal may send it back to first instance (retrial).`,
		Examples: []string{
			"casectl proceedings update SHA-2026-0001 --stage first-instance",
			"casectl proceedings update SHA-2026-0001 --measures video-link-testimony,closed-hearing",
			"casectl proceedings update 9a51c1e6-3d2a-4c59-0b6f-6d1f3f0f7b2e --strategic --goal 'state fund pays when the offender cannot'",
		},
		Flags: func(fs *pflag.FlagSet) {
			p.register(fs)
			fs.StringVar(&stage, "stage", "", "move to this stage: "+choices[casebridgev1.ProceedingStage]())
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, args []string) error {
			change, paths, err := p.build(fs, a.env.Now())
			if err != nil {
				return err
			}
			var to casebridgev1.ProceedingStage
			if stage != "" {
				if to, err = parseEnum[casebridgev1.ProceedingStage]("--stage", stage); err != nil {
					return err
				}
			}
			if len(paths) == 0 && stage == "" {
				return cli.Usagef("nothing to change: give at least one attribute flag or --stage")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			current, err := getProceeding(ctx, c, args[0])
			if err != nil {
				return err
			}
			if len(paths) > 0 {
				change.Id = current.GetId()
				resp, err := c.proceedings.UpdateProceeding(ctx, &casebridgev1.UpdateProceedingRequest{
					Proceeding: change, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}, Etag: current.GetEtag(),
				})
				if err != nil {
					return explain.WithFlags(explain.Wrap(err, "update proceeding %s", args[0]), proceedingHints("proceeding."))
				}
				current = resp.GetProceeding()
			}
			if stage != "" {
				resp, err := c.proceedings.AdvanceStage(ctx, &casebridgev1.AdvanceStageRequest{Id: current.GetId(), Stage: to, Etag: current.GetEtag()})
				if err != nil {
					return explain.WithFlags(explain.Wrap(err, "move proceeding %s to %s", args[0], stage), proceedingHints("proceeding."))
				}
				current = resp.GetProceeding()
			}
			a.say("Proceeding updated; stage: %s.", enumName(current.GetStage()))
			return output.One(a.stdout(), f, current, proceedingDetail)
		},
	}
}

func (a *app) proceedingsOutcomeCommand() *cli.Command {
	var kind, decidedAt, sentence, date, final string
	return &cli.Command{
		Name:    "outcome",
		Args:    "PROCEEDING",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record (or correct) the decision in a proceeding",
		Help: `Record the latest decision, replacing any earlier one (a decision on appeal
replaces the first-instance one). It does not change the stage: when the
decision becomes final, also run 'proceedings update --stage final'.`,
		Examples: []string{
			"casectl proceedings outcome SHA-2026-0001 --kind conviction --date 2026-10-01 --sentence \"5 years' imprisonment\"",
			"casectl proceedings outcome SHA-2026-0001 --kind conviction --date 2026-10-01 --final-date 2026-11-15",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&kind, "kind", "", "the decision: "+choices[casebridgev1.OutcomeKind]()+" (required)")
			fs.StringVar(&decidedAt, "decided-at", "", "the instance that decided (default: the current stage)")
			fs.StringVar(&sentence, "sentence", "", "the sentence as pronounced")
			fs.StringVar(&date, "date", "", "`date` of the decision, YYYY-MM-DD (required)")
			fs.StringVar(&final, "final-date", "", "`date` it became final, YYYY-MM-DD")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if kind == "" || date == "" {
				return cli.Usagef("--kind and --date are required")
			}
			out := &casebridgev1.ProceedingOutcome{Sentence: sentence}
			var err error
			if out.Kind, err = parseEnum[casebridgev1.OutcomeKind]("--kind", kind); err != nil {
				return err
			}
			if decidedAt != "" {
				if out.DecidedAt, err = parseEnum[casebridgev1.ProceedingStage]("--decided-at", decidedAt); err != nil {
					return err
				}
			}
			if out.DecisionDate, err = parseDate("--date", date, a.env.Now()); err != nil {
				return err
			}
			if final != "" {
				if out.FinalDate, err = parseDate("--final-date", final, a.env.Now()); err != nil {
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
			current, err := getProceeding(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.proceedings.RecordOutcome(ctx, &casebridgev1.RecordOutcomeRequest{Id: current.GetId(), Outcome: out, Etag: current.GetEtag()})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record outcome of %s", args[0]), map[string]string{
					"outcome.kind": "--kind", "outcome.decided_at": "--decided-at", "outcome.sentence": "--sentence",
					"outcome.decision_date": "--date", "outcome.final_date": "--final-date",
				})
			}
			a.say("Outcome recorded: %s.", enumName(resp.GetProceeding().GetOutcome().GetKind()))
			return output.One(a.stdout(), f, resp.GetProceeding(), proceedingDetail)
		},
	}
}

func (a *app) proceedingsLinkCommand() *cli.Command {
	var with string
	return &cli.Command{
		Name:    "link",
		Args:    "PROCEEDING",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record that two persons' proceedings are one trial (co-victims)",
		Help: `Link the proceeding of one person with the proceeding of another person in the
same trial (several injured parties of one trafficking ring). Each stays her
own case's record: the organisation of each case sees only its own person's
proceeding, and erasing one person's case erases nothing of the others'.
Figures count the trial once. You must be able to update both.`,
		Examples: []string{"casectl proceedings link SHA-2026-0001 --with SHA-2026-0007"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&with, "with", "", "the co-victim's `PROCEEDING` (id, or a case reference with one proceeding; required)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if with == "" {
				return cli.Usagef("--with PROCEEDING is required")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			current, err := getProceeding(ctx, c, args[0])
			if err != nil {
				return err
			}
			other, err := proceedingID(ctx, c, with)
			if err != nil {
				return err
			}
			resp, err := c.proceedings.LinkProceedings(ctx, &casebridgev1.LinkProceedingsRequest{Id: current.GetId(), WithId: other, Etag: current.GetEtag()})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "link %s with %s", args[0], with), map[string]string{"with_id": "--with"})
			}
			a.say("Linked: trial %s.", resp.GetProceeding().GetTrialId())
			return output.One(a.stdout(), f, resp.GetProceeding(), proceedingDetail)
		},
	}
}
