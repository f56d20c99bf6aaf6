package casectl

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func maskOf(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// currentPlan reads the latest support plan of case REF.
func currentPlan(ctx context.Context, c *clients, ref string) (string, *casebridgev1.SupportPlan, error) {
	id, err := caseID(ctx, c, ref)
	if err != nil {
		return "", nil, err
	}
	resp, err := c.casework.GetSupportPlan(ctx, &casebridgev1.GetSupportPlanRequest{CaseId: id})
	if err != nil {
		return "", nil, explain.Wrap(err, "support plan of %s", ref)
	}
	return id, resp.GetPlan(), nil
}

func (a *app) planCommand() *cli.Command {
	return &cli.Command{
		Name:    "plan",
		Summary: "the support plan agreed with the person: objectives, actions, review",
		Help: `Keep the support plan of a case: what was agreed with the person (a summary),
the objectives and the actions towards them, and when the plan is reviewed.
Everything written here is care data: it is encrypted, and every read is in
the audit log. Where your organisation requires it, a supervisor approves the
plan before it takes effect ('casectl approvals request REF --plan').`,
		Examples: []string{
			"casectl plan new SHA-2026-0001 --summary - --review 2026-12-01",
			"casectl plan objective SHA-2026-0001 --text 'safe housing' --target 2026-11-01",
			"casectl plan action SHA-2026-0001 OBJECTIVE --text 'visit the housing office' --planned 2026-10-15",
			"casectl plan done SHA-2026-0001 ACTION --date today",
			"casectl plan status SHA-2026-0001 active",
			"casectl plan show SHA-2026-0001",
		},
		Sub: []*cli.Command{a.planNewCommand(), a.planShowCommand(), a.planStatusCommand(), a.planReviewCommand(),
			a.planObjectiveCommand(), a.planActionCommand(), a.planDoneCommand()},
	}
}

func (a *app) showPlan(p *casebridgev1.SupportPlan) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	if err := output.One(a.stdout(), f, p, planDetail); err != nil {
		return err
	}
	if f != output.Table {
		return nil
	}
	var actions []*casebridgev1.Action
	for _, o := range p.GetObjectives() {
		actions = append(actions, o.GetActions()...)
	}
	if len(p.GetObjectives()) > 0 {
		fmt.Fprintln(a.stdout())
		if err := output.List(a.stdout(), f, p.GetObjectives(), objectiveColumns); err != nil {
			return err
		}
	}
	if len(actions) > 0 {
		fmt.Fprintln(a.stdout())
		return output.List(a.stdout(), f, actions, actionColumns)
	}
	return nil
}

func (a *app) planNewCommand() *cli.Command {
	var summary, review string
	return &cli.Command{
		Name: "new", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary:  "start the case's support plan, as a draft",
		Examples: []string{"casectl plan new SHA-2026-0001 --summary - --review 2026-12-01"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&summary, "summary", "", "needs assessed and what was agreed (care data; - reads it from standard input)")
			fs.StringVar(&review, "review", "", "`date` the plan is to be reviewed (YYYY-MM-DD)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			text, err := a.textArg(summary)
			if err != nil {
				return err
			}
			plan := &casebridgev1.SupportPlan{Summary: text}
			if review != "" {
				if plan.ReviewDate, err = parseDate("--review", review, a.env.Now()); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := caseID(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.casework.CreateSupportPlan(ctx, &casebridgev1.CreateSupportPlanRequest{CaseId: id, Plan: plan})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "start the support plan of %s", args[0]),
					map[string]string{"plan.summary": "--summary", "plan.review_date": "--review"})
			}
			a.say("Support plan of %s started as a draft.", args[0])
			return a.showPlan(resp.GetPlan())
		},
	}
}

func (a *app) planShowCommand() *cli.Command {
	return &cli.Command{
		Name: "show", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary:  "show the case's support plan with its objectives and actions",
		Examples: []string{"casectl plan show SHA-2026-0001", "casectl plan show SHA-2026-0001 --output json"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			_, plan, err := currentPlan(ctx, c, args[0])
			if err != nil {
				return err
			}
			return a.showPlan(plan)
		},
	}
}

func (a *app) planStatusCommand() *cli.Command {
	return &cli.Command{
		Name: "status", Args: "REF STATUS", MinArgs: 2, MaxArgs: 2,
		Summary:  "move the plan on: " + choices[casebridgev1.SupportPlanStatus](),
		Examples: []string{"casectl plan status SHA-2026-0001 active", "casectl plan status SHA-2026-0001 completed"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			st, err := parseEnum[casebridgev1.SupportPlanStatus]("STATUS", args[1])
			if err != nil {
				return err
			}
			return a.updatePlan(ctx, args[0], &casebridgev1.SupportPlan{Status: st}, "status")
		},
	}
}

func (a *app) planReviewCommand() *cli.Command {
	return &cli.Command{
		Name: "review", Args: "REF DATE", MinArgs: 2, MaxArgs: 2,
		Summary:  "set the date the plan is to be reviewed",
		Examples: []string{"casectl plan review SHA-2026-0001 2027-01-15"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			d, err := parseDate("DATE", args[1], a.env.Now())
			if err != nil {
				return err
			}
			return a.updatePlan(ctx, args[0], &casebridgev1.SupportPlan{ReviewDate: d}, "review_date")
		},
	}
}

func (a *app) updatePlan(ctx context.Context, ref string, in *casebridgev1.SupportPlan, path string) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	_, plan, err := currentPlan(ctx, c, ref)
	if err != nil {
		return err
	}
	in.Id = plan.GetId()
	resp, err := c.casework.UpdateSupportPlan(ctx, &casebridgev1.UpdateSupportPlanRequest{Plan: in, UpdateMask: maskOf(path), Etag: plan.GetEtag()})
	if err != nil {
		return explain.Wrap(err, "change the support plan of %s", ref)
	}
	return a.showPlan(resp.GetPlan())
}

func (a *app) planObjectiveCommand() *cli.Command {
	var text, target string
	return &cli.Command{
		Name: "objective", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary:  "add an objective to the case's plan",
		Examples: []string{"casectl plan objective SHA-2026-0001 --text 'safe housing' --target 2026-11-01"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&text, "text", "", "what the person wants to reach (care data; - reads standard input; required)")
			fs.StringVar(&target, "target", "", "`date` to reach it by")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			desc, err := a.textArg(text)
			if err != nil {
				return err
			}
			if desc == "" {
				return cli.Usagef("--text is required")
			}
			o := &casebridgev1.Objective{Description: desc}
			if target != "" {
				if o.TargetDate, err = parseDate("--target", target, a.env.Now()); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			_, plan, err := currentPlan(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.casework.AddObjective(ctx, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetId(), Objective: o})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "add an objective to %s", args[0]),
					map[string]string{"objective.description": "--text", "objective.target_date": "--target"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.Objective{resp.GetObjective()}, objectiveColumns)
		},
	}
}

func (a *app) planActionCommand() *cli.Command {
	var text, planned string
	return &cli.Command{
		Name: "action", Args: "REF OBJECTIVE", MinArgs: 2, MaxArgs: 2,
		Summary:  "add an action towards an objective",
		Examples: []string{"casectl plan action SHA-2026-0001 OBJECTIVE --text 'visit the housing office' --planned 2026-10-15"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&text, "text", "", "what is to be done (care data; - reads standard input; required)")
			fs.StringVar(&planned, "planned", "", "`date` it is planned for")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			desc, err := a.textArg(text)
			if err != nil {
				return err
			}
			if desc == "" {
				return cli.Usagef("--text is required")
			}
			act := &casebridgev1.Action{Description: desc}
			if planned != "" {
				if act.PlannedDate, err = parseDate("--planned", planned, a.env.Now()); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.casework.AddAction(ctx, &casebridgev1.AddActionRequest{ObjectiveId: args[1], Action: act})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "add an action on %s", args[0]),
					map[string]string{"action.description": "--text", "action.planned_date": "--planned"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.Action{resp.GetAction()}, actionColumns)
		},
	}
}

func (a *app) planDoneCommand() *cli.Command {
	var date string
	return &cli.Command{
		Name: "done", Args: "REF ACTION", MinArgs: 2, MaxArgs: 2,
		Summary:  "record an action of the plan as done",
		Examples: []string{"casectl plan done SHA-2026-0001 ACTION --date today"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&date, "date", "today", "`date` it was done")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			d, err := parseDate("--date", date, a.env.Now())
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			_, plan, err := currentPlan(ctx, c, args[0])
			if err != nil {
				return err
			}
			var etag string
			for _, o := range plan.GetObjectives() {
				for _, x := range o.GetActions() {
					if x.GetId() == args[1] {
						etag = x.GetEtag()
					}
				}
			}
			if etag == "" {
				return fmt.Errorf("%s is not an action of the support plan of %s", args[1], args[0])
			}
			resp, err := c.casework.UpdateAction(ctx, &casebridgev1.UpdateActionRequest{
				Action:     &casebridgev1.Action{Id: args[1], Status: casebridgev1.ActionStatus_ACTION_STATUS_DONE, ActualDate: d},
				UpdateMask: maskOf("status", "actual_date"), Etag: etag})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record action %s done", args[1]), map[string]string{"action.actual_date": "--date"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.Action{resp.GetAction()}, actionColumns)
		},
	}
}
