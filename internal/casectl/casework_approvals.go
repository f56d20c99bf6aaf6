package casectl

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) approvalsCommand() *cli.Command {
	return &cli.Command{
		Name:    "approvals",
		Summary: "a supervisor's approval of a support plan or a closure",
		Help: `Where your organisation requires it (its org admin sets it), a support plan
takes effect and a case is closed only once a supervisor approved it. Ask
with 'request'; a supervisor other than the one who asked approves or rejects
(a rejection says what must change). An approved closure is used by the next
'casectl cases close'. Comments are care data, encrypted.`,
		Examples: []string{
			"casectl approvals request SHA-2026-0001 --plan --comment 'agreed with her on Monday'",
			"casectl approvals list",
			"casectl approvals approve APPROVAL --comment 'good plan'",
			"casectl approvals reject APPROVAL --comment 'add the housing objective'",
			"casectl approvals settings set --plans --closures",
		},
		Sub: []*cli.Command{a.approvalsRequestCommand(), a.approvalsListCommand(),
			a.approvalsDecideCommand("approve", casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE),
			a.approvalsDecideCommand("reject", casebridgev1.ApprovalDecision_APPROVAL_DECISION_REJECT),
			a.approvalSettingsCommand(nil)},
	}
}

func (a *app) approvalsRequestCommand() *cli.Command {
	var plan, closure bool
	var comment string
	return &cli.Command{
		Name: "request", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary:  "ask a supervisor to approve the case's plan (--plan) or its closure (--closure)",
		Examples: []string{"casectl approvals request SHA-2026-0001 --plan", "casectl approvals request SHA-2026-0001 --closure --comment 'goals met'"},
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&plan, "plan", false, "approve the draft support plan")
			fs.BoolVar(&closure, "closure", false, "approve closing the case")
			fs.StringVar(&comment, "comment", "", "why, for the supervisor (care data; - reads standard input)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if plan == closure {
				return cli.Usagef("say what to approve: --plan or --closure")
			}
			subject := casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN
			if closure {
				subject = casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_CASE_CLOSURE
			}
			text, err := a.textArg(comment)
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
			resp, err := c.casework.RequestApproval(ctx, &casebridgev1.RequestApprovalRequest{CaseId: id, Subject: subject, Comment: text})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "ask approval on %s", args[0]), map[string]string{"comment": "--comment"})
			}
			a.say("Approval requested on %s.", args[0])
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.Approval{resp.GetApproval()}, approvalColumns)
		},
	}
}

// approvals lists the approvals of case REF, or without one the pending
// requests the caller may decide.
func approvals(ctx context.Context, c *clients, ref string, limit int) ([]*casebridgev1.Approval, bool, error) {
	req := &casebridgev1.ListApprovalsRequest{}
	if ref != "" {
		id, err := caseID(ctx, c, ref)
		if err != nil {
			return nil, false, err
		}
		req.CaseId = id
	}
	out, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Approval, string, error) {
		req.PageToken, req.PageSize = token, size
		resp, err := c.casework.ListApprovals(ctx, req)
		return resp.GetApprovals(), resp.GetNextPageToken(), err
	})
	if err != nil {
		return nil, false, explain.Wrap(err, "list approvals")
	}
	return out, more, nil
}

func (a *app) approvalsListCommand() *cli.Command {
	var limit int
	return &cli.Command{
		Name: "list", Args: "[REF]", MaxArgs: 1,
		Summary:  "the approvals of a case, or (supervisors) the requests waiting for you",
		Examples: []string{"casectl approvals list", "casectl approvals list SHA-2026-0001"},
		Flags:    func(fs *pflag.FlagSet) { limitFlag(fs, &limit) },
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			all, more, err := approvals(ctx, c, ref, limit)
			if err != nil {
				return err
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, all, approvalColumns)
		},
	}
}

func (a *app) approvalsDecideCommand(verb string, d casebridgev1.ApprovalDecision) *cli.Command {
	var comment string
	return &cli.Command{
		Name: verb, Args: "APPROVAL", MinArgs: 1, MaxArgs: 1,
		Summary:  verb + " a request waiting for you (supervisors)",
		Examples: []string{"casectl approvals " + verb + " APPROVAL --comment 'see the notes'"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&comment, "comment", "", "your comment (care data; - reads standard input; required to reject)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			text, err := a.textArg(comment)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			pending, _, err := approvals(ctx, c, "", 500)
			if err != nil {
				return err
			}
			var etag string
			for _, x := range pending {
				if x.GetId() == args[0] {
					etag = x.GetEtag()
				}
			}
			if etag == "" {
				return fmt.Errorf("%s is not a request waiting for your decision ('casectl approvals list' shows them)", args[0])
			}
			resp, err := c.casework.DecideApproval(ctx, &casebridgev1.DecideApprovalRequest{Id: args[0], Decision: d, Comment: text, Etag: etag})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "%s %s", verb, args[0]), map[string]string{"comment": "--comment"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.Approval{resp.GetApproval()}, approvalColumns)
		},
	}
}
