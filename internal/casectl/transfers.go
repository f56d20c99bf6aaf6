package casectl

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const proposedTransfer = casebridgev1.TransferStatus_TRANSFER_STATUS_PROPOSED

type transferCol = output.Column[*casebridgev1.Transfer]

var transferColumns = []transferCol{
	output.Col("id", (*casebridgev1.Transfer).GetId),
	output.Col("case", (*casebridgev1.Transfer).GetFromReference),
	output.Col("new reference", (*casebridgev1.Transfer).GetToReference),
	output.Col("from", (*casebridgev1.Transfer).GetFromOrganizationId),
	output.Col("to", (*casebridgev1.Transfer).GetToOrganizationId),
	output.Col("status", func(t *casebridgev1.Transfer) string { return enumName(t.GetStatus()) }),
	output.Col("updated", func(t *casebridgev1.Transfer) string { return datetime.Local(t.GetUpdateTime()) }),
	output.ScriptCol("case_id", (*casebridgev1.Transfer).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Transfer).GetEtag),
}

var transferDetail = []transferCol{
	output.Col("ID", (*casebridgev1.Transfer).GetId),
	output.Col("Case", (*casebridgev1.Transfer).GetFromReference),
	output.Col("New reference", (*casebridgev1.Transfer).GetToReference),
	output.Col("From", (*casebridgev1.Transfer).GetFromOrganizationId),
	output.Col("To", (*casebridgev1.Transfer).GetToOrganizationId),
	output.Col("Status", func(t *casebridgev1.Transfer) string { return enumName(t.GetStatus()) }),
	output.Col("Sender follows", func(t *casebridgev1.Transfer) string {
		if t.GetSenderFollows() {
			return "status only (follow-up consent)"
		}
		return "nothing"
	}),
	output.Col("Sex", func(t *casebridgev1.Transfer) string { return enumName(t.GetCoded().GetSex()) }),
	output.Col("Age band", func(t *casebridgev1.Transfer) string { return enumName(t.GetCoded().GetAgeBand()) }),
	output.Col("Nationality", func(t *casebridgev1.Transfer) string { return t.GetCoded().GetNationality() }),
	output.Col("Forms", func(t *casebridgev1.Transfer) string { return enumNames(t.GetCoded().GetExploitationForms()) }),
	output.Col("Consent", (*casebridgev1.Transfer).GetConsentId),
	output.Col("Proposed by", (*casebridgev1.Transfer).GetProposedBy),
	output.Col("Answered by", (*casebridgev1.Transfer).GetAnsweredBy),
	output.Col("Proposed", func(t *casebridgev1.Transfer) string { return datetime.Local(t.GetCreateTime()) }),
	output.Col("Accepted", func(t *casebridgev1.Transfer) string { return datetime.Local(t.GetAcceptTime()) }),
	output.Col("Declined", func(t *casebridgev1.Transfer) string { return datetime.Local(t.GetDeclineTime()) }),
	output.Col("Cancelled", func(t *casebridgev1.Transfer) string { return datetime.Local(t.GetCancelTime()) }),
	output.ScriptCol("case_id", (*casebridgev1.Transfer).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Transfer).GetEtag),
}

func (a *app) transferCommand() *cli.Command {
	return &cli.Command{
		Name:    "transfer",
		Summary: "hand a whole case to another organisation (a person returning home)",
		Help: `Hand a case to another organisation, which then owns it — for example when the
person returns to her home country. It needs her consent to the transfer
(consent add --purpose transfer --to ORG). A supervisor proposes; the
receiving organisation accepts or declines; until then the supervisor may
cancel. Close, withdraw or revoke the case's open referrals first.

Once accepted, the receiver owns the case under a reference of its own and
reads all of it; your organisation keeps only what the person agreed to: the
case's status while a follow-up consent names it (consent add --purpose
follow-up --to YOUR-ORG), otherwise nothing.

REF is the case reference the sender knows (SHA-2026-0001), or a transfer id.`,
		Examples: []string{
			"casectl consent add SHA-2026-0001 --purpose transfer --to cso-c --method 'signed form'",
			"casectl transfer propose SHA-2026-0001 --to cso-c",
			"casectl transfer accept SHA-2026-0001",
			"casectl transfer list",
		},
		Sub: []*cli.Command{
			a.transferProposeCommand(),
			a.transferStepCommand("accept", "take on a case handed to your organisation",
				"Take the case on: your organisation becomes its owner and numbers it in its own series.",
				func(ctx context.Context, c *clients, t *casebridgev1.Transfer) (*casebridgev1.Transfer, error) {
					r, err := c.transfers.AcceptTransfer(ctx, &casebridgev1.AcceptTransferRequest{Id: t.GetId(), Etag: t.GetEtag()})
					return r.GetTransfer(), err
				}),
			a.transferStepCommand("decline", "refuse a case handed to your organisation",
				"Refuse the case; the sending organisation keeps it.",
				func(ctx context.Context, c *clients, t *casebridgev1.Transfer) (*casebridgev1.Transfer, error) {
					r, err := c.transfers.DeclineTransfer(ctx, &casebridgev1.DeclineTransferRequest{Id: t.GetId(), Etag: t.GetEtag()})
					return r.GetTransfer(), err
				}),
			a.transferStepCommand("cancel", "withdraw a transfer your organisation proposed",
				"Withdraw the offer while the receiver has not answered; your organisation keeps the case.",
				func(ctx context.Context, c *clients, t *casebridgev1.Transfer) (*casebridgev1.Transfer, error) {
					r, err := c.transfers.CancelTransfer(ctx, &casebridgev1.CancelTransferRequest{Id: t.GetId(), Etag: t.GetEtag()})
					return r.GetTransfer(), err
				}),
			a.transferListCommand(),
		},
	}
}

func (a *app) transferProposeCommand() *cli.Command {
	var to, consent string
	return &cli.Command{
		Name:    "propose",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "offer a case to another organisation (supervisors)",
		Help: `Offer the case to another organisation. It needs an active transfer consent
covering that organisation, and no open referral of the case.`,
		Examples: []string{"casectl transfer propose SHA-2026-0001 --to cso-c"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&to, "to", "", "receiving `organisation` id (see 'casectl orgs'; required)")
			fs.StringVar(&consent, "consent", "", "`id` of the transfer consent to rely on (default: the server picks it)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if to == "" {
				return cli.Usagef("--to ORG is required, e.g. --to cso-c")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			req := &casebridgev1.ProposeTransferRequest{ToOrganizationId: to, ConsentId: consent, RequestId: uuid.NewString()}
			if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			resp, err := c.transfers.ProposeTransfer(ctx, req)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "transfer %s to %s", args[0], to),
					map[string]string{"to_organization_id": "--to", "consent_id": "--consent"})
			}
			a.say("Proposed %s to %s; it is theirs once they accept.", args[0], to)
			return output.One(a.stdout(), f, resp.GetTransfer(), transferDetail)
		},
	}
}

func (a *app) transferStepCommand(name, summary, help string, call func(context.Context, *clients, *casebridgev1.Transfer) (*casebridgev1.Transfer, error)) *cli.Command {
	return &cli.Command{
		Name:     name,
		Args:     "REF|ID",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  summary,
		Help:     help,
		Examples: []string{"casectl transfer " + name + " SHA-2026-0001"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			t, err := transferFor(ctx, c, args[0])
			if err != nil {
				return err
			}
			after, err := call(ctx, c, t)
			if err != nil {
				return explain.Wrap(err, "%s transfer %s", name, t.GetId())
			}
			if after.GetToReference() != "" {
				a.say("Transfer of %s is now %s; the case is %s of %s.", after.GetFromReference(), enumName(after.GetStatus()),
					after.GetToReference(), after.GetToOrganizationId())
			} else {
				a.say("Transfer of %s is now %s.", after.GetFromReference(), enumName(after.GetStatus()))
			}
			return output.One(a.stdout(), f, after, transferDetail)
		},
	}
}

func (a *app) transferListCommand() *cli.Command {
	return &cli.Command{
		Name:     "list",
		Summary:  "transfers your organisations proposed or received",
		Examples: []string{"casectl transfer list", "casectl transfer list --output csv"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var all []*casebridgev1.Transfer
			if err := eachTransfer(ctx, c, &casebridgev1.ListTransfersRequest{}, func(t *casebridgev1.Transfer) { all = append(all, t) }); err != nil {
				return explain.Wrap(err, "list transfers")
			}
			return output.List(a.stdout(), f, all, transferColumns)
		},
	}
}

// transferFor finds the transfer an answer is about: a transfer id, or the
// sender's reference of the case of the one proposed transfer. A receiver
// cannot look the case up before it accepts, so the reference is matched on
// the transfers themselves.
func transferFor(ctx context.Context, c *clients, arg string) (*casebridgev1.Transfer, error) {
	if isID(arg) {
		resp, err := c.transfers.GetTransfer(ctx, &casebridgev1.GetTransferRequest{Id: arg})
		if err != nil {
			return nil, explain.Wrap(err, "transfer %s", arg)
		}
		return resp.GetTransfer(), nil
	}
	ref := strings.ToUpper(strings.TrimSpace(arg))
	var found []*casebridgev1.Transfer
	err := eachTransfer(ctx, c, &casebridgev1.ListTransfersRequest{Status: proposedTransfer}, func(t *casebridgev1.Transfer) {
		if t.GetFromReference() == ref {
			found = append(found, t)
		}
	})
	if err != nil {
		return nil, explain.Wrap(err, "look up transfers of %s", ref)
	}
	switch len(found) {
	case 0:
		return nil, explain.Wrap(notFound("transfer"), "no proposed transfer of case %s", ref)
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("%d proposed transfers name %s: give the transfer id (see 'casectl transfer list')", len(found), ref)
	}
}

// eachTransfer pages through ListTransfers.
func eachTransfer(ctx context.Context, c *clients, req *casebridgev1.ListTransfersRequest, fn func(*casebridgev1.Transfer)) error {
	req.PageSize = 500
	for seen := 0; seen < maxListed; {
		resp, err := c.transfers.ListTransfers(ctx, req)
		if err != nil {
			return err
		}
		for _, t := range resp.GetTransfers() {
			fn(t)
		}
		seen += len(resp.GetTransfers())
		if resp.GetNextPageToken() == "" {
			return nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil
}
