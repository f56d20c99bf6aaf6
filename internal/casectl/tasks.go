package casectl

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type taskCol = output.Column[*casebridgev1.Task]

var taskColumns = []taskCol{
	output.Col("due", func(t *casebridgev1.Task) string { return datetime.Local(t.GetDueTime()) }),
	output.Col("status", func(t *casebridgev1.Task) string { return enumName(t.GetStatus()) }),
	output.Col("kind", func(t *casebridgev1.Task) string { return enumName(t.GetKind()) }),
	output.Col("case", (*casebridgev1.Task).GetCaseReference),
	output.Col("assignee", (*casebridgev1.Task).GetAssignee),
	output.Col("title", (*casebridgev1.Task).GetTitle),
	output.Col("id", (*casebridgev1.Task).GetId),
}

func (a *app) tasksCommand() *cli.Command {
	return &cli.Command{
		Name:    "tasks",
		Summary: "follow-ups and reminders: list, add, mark done, snooze",
		Help: `Tasks are the follow-ups of your organisation's cases: those you write down
and those the server raises by itself (a consent about to expire, a referral
left pending, a hearing tomorrow, a deadline or a support-plan review coming
up). A task's title and notes are care-class data, encrypted like it.`,
		Examples: []string{
			"casectl tasks list --overdue",
			"casectl tasks list --soon --days 3 --mine",
			"casectl tasks add SHA-2026-0001 --title 'call the school' --due 'in 3d'",
			"casectl tasks done 6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11",
			"casectl tasks snooze 6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11 --until tomorrow",
		},
		Sub: []*cli.Command{a.tasksListCommand(), a.tasksAddCommand(), a.tasksDoneCommand(), a.tasksSnoozeCommand()},
	}
}

// when reads a moment typed on the command line: "tomorrow" (09:00 local
// time), "in 3d" / "in 12h" / "3d", or a date and time as elsewhere.
func when(flag, s string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "in "))
	switch {
	case v == "tomorrow":
		d := now.AddDate(0, 0, 1)
		return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, now.Location()), nil
	case strings.HasSuffix(v, "d"):
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && n > 0 {
			return now.AddDate(0, 0, n), nil
		}
	case strings.HasSuffix(v, "h"):
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "h")); err == nil && n > 0 {
			return now.Add(time.Duration(n) * time.Hour), nil
		}
	}
	if len(v) == len(datetime.DateLayout) {
		v += " 09:00"
	}
	t, err := datetime.Time(v, time.Local)
	if err != nil {
		return time.Time{}, cli.Usagef("%s: %v (or tomorrow, in 3d, in 12h)", flag, err)
	}
	return t, nil
}

func (a *app) tasksListCommand() *cli.Command {
	var overdue, soon, mine bool
	var days, limit int
	var org, ref string
	return &cli.Command{
		Name:    "list",
		Summary: "list open tasks, earliest due first",
		Examples: []string{
			"casectl tasks list",
			"casectl tasks list --overdue --mine",
			"casectl tasks list --soon --days 14 --org shelter-a --output csv",
			"casectl tasks list --case SHA-2026-0001",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&overdue, "overdue", false, "only tasks past their due time (not snoozed)")
			fs.BoolVar(&soon, "soon", false, "only tasks due within --days (not snoozed)")
			fs.IntVar(&days, "days", 0, "with --soon: how many `days` ahead (default 7)")
			fs.BoolVar(&mine, "mine", false, "only tasks assigned to you")
			fs.StringVar(&org, "org", "", "only tasks of this `organisation` of yours")
			fs.StringVar(&ref, "case", "", "only tasks of this case (`REF`)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			if overdue && soon {
				return cli.Usagef("--overdue and --soon exclude each other")
			}
			if days != 0 && !soon {
				return cli.Usagef("--days goes with --soon")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListTasksRequest{OrganizationId: org, Mine: mine, DueWithinDays: int32(days)}
			switch {
			case overdue:
				req.Due = casebridgev1.TaskDue_TASK_DUE_OVERDUE
			case soon:
				req.Due = casebridgev1.TaskDue_TASK_DUE_SOON
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if ref != "" {
				if req.CaseId, err = caseID(ctx, c, ref); err != nil {
					return err
				}
			}
			tasks, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Task, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.tasks.ListTasks(ctx, req)
				return resp.GetTasks(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list tasks"), map[string]string{"due_within_days": "--days", "organization_id": "--org"})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, tasks, taskColumns)
		},
	}
}

func (a *app) tasksAddCommand() *cli.Command {
	var title, notes, due, assignee string
	return &cli.Command{
		Name:    "add",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "write down a follow-up on a case",
		Help: `Write down a follow-up with a due time and, optionally, who is to do it.
Notes are read from standard input with --notes -: text about the person
typed on the command line would stay in the shell history.`,
		Examples: []string{
			"casectl tasks add SHA-2026-0001 --title 'call the school' --due tomorrow",
			"casectl tasks add SHA-2026-0001 --title 'book the dentist' --due '2026-12-10 14:00' --assignee caseworker@shelter-a --notes -",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&title, "title", "", "what is to be done (required)")
			fs.StringVar(&notes, "notes", "", "more detail, or - to read it from standard input")
			fs.StringVar(&due, "due", "", "when: `TIME` (2026-12-10 14:00), a date, tomorrow, or in 3d / in 12h (required)")
			fs.StringVar(&assignee, "assignee", "", "the `member` who is to do it (default: nobody in particular)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if strings.TrimSpace(title) == "" {
				return cli.Usagef("--title is required")
			}
			if due == "" {
				return cli.Usagef("--due is required")
			}
			at, err := when("--due", due, time.Now())
			if err != nil {
				return err
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			body, err := a.textArg(notes)
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
			resp, err := c.tasks.CreateTask(ctx, &casebridgev1.CreateTaskRequest{CaseId: id, Title: title, Notes: body,
				DueTime: timestamppb.New(at), Assignee: assignee})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "add task to %s", args[0]),
					map[string]string{"title": "--title", "notes": "--notes", "due_time": "--due", "assignee": "--assignee"})
			}
			a.say("Task added to %s, due %s.", args[0], datetime.Local(resp.GetTask().GetDueTime()))
			return output.One(a.stdout(), f, resp.GetTask(), taskColumns)
		},
	}
}

// currentTask reads a task for its etag.
func (a *app) currentTask(ctx context.Context, c *clients, id string) (*casebridgev1.Task, error) {
	if !isID(id) {
		return nil, cli.Usagef("%q is not a task id: take it from 'casectl tasks list'", id)
	}
	resp, err := c.tasks.GetTask(ctx, &casebridgev1.GetTaskRequest{Id: id})
	if err != nil {
		return nil, explain.Wrap(err, "task %s", id)
	}
	return resp.GetTask(), nil
}

func (a *app) tasksDoneCommand() *cli.Command {
	return &cli.Command{
		Name:    "done",
		Args:    "ID",
		MinArgs: 1, MaxArgs: 1,
		Summary:  "mark a task done",
		Examples: []string{"casectl tasks done 6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			t, err := a.currentTask(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.tasks.CompleteTask(ctx, &casebridgev1.CompleteTaskRequest{Id: t.GetId(), Etag: t.GetEtag()})
			if err != nil {
				return explain.Wrap(err, "complete task %s", args[0])
			}
			a.say("Task done.")
			return output.One(a.stdout(), f, resp.GetTask(), taskColumns)
		},
	}
}

func (a *app) tasksSnoozeCommand() *cli.Command {
	var until string
	return &cli.Command{
		Name:    "snooze",
		Args:    "ID",
		MinArgs: 1, MaxArgs: 1,
		Summary: "hide a task from the overdue and due-soon lists until later",
		Examples: []string{
			"casectl tasks snooze 6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11 --until tomorrow",
			"casectl tasks snooze 6f1c1f9e-3a4e-4c39-9d57-0b1f6f0c2a11 --until 'in 3d'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&until, "until", "", "`TIME`, a date, tomorrow, or in 3d / in 12h (required)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if until == "" {
				return cli.Usagef("--until is required")
			}
			at, err := when("--until", until, time.Now())
			if err != nil {
				return err
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			t, err := a.currentTask(ctx, c, args[0])
			if err != nil {
				return err
			}
			resp, err := c.tasks.SnoozeTask(ctx, &casebridgev1.SnoozeTaskRequest{Id: t.GetId(), Etag: t.GetEtag(), Until: timestamppb.New(at)})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "snooze task %s", args[0]), map[string]string{"until": "--until"})
			}
			a.say("Task snoozed until %s.", datetime.Local(resp.GetTask().GetSnoozeUntil()))
			return output.One(a.stdout(), f, resp.GetTask(), taskColumns)
		},
	}
}
