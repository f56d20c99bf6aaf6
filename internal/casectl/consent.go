package casectl

import (
	"context"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (a *app) consentCommand() *cli.Command {
	return &cli.Command{
		Name:    "consent",
		Summary: "record, withdraw and list the person's consents",
		Help: `Consent is the person's recorded, revocable permission to share their case
with a named organisation (or any organisation of a kind) for a purpose:
assistance, legal representation or statistics. No referral is possible
without a matching consent, and withdrawing one ends the sharing it allowed.`,
		Examples: []string{
			"casectl consent add SHA-2026-0001 --purpose legal-representation --to legal-b --method 'signed form'",
			"casectl consent list SHA-2026-0001",
			"casectl consent withdraw SHA-2026-0001 CONSENT_ID",
		},
		Sub: []*cli.Command{a.consentAddCommand(), a.consentWithdrawCommand(), a.consentListCommand()},
	}
}

var consentHints = map[string]string{
	"purpose": "--purpose", "decision": "--refused", "organization_id": "--to", "organization_kind": "--kind",
	"given_time": "--given", "expire_time": "--expires", "method": "--method",
}

func (a *app) consentAddCommand() *cli.Command {
	var purpose, to, kind, method, given, expires string
	var refused bool
	return &cli.Command{
		Name:    "add",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record the person's consent (or refusal)",
		Help: `Record the person's decision. Assistance and legal representation name who may
receive the case: one organisation (--to) or every organisation of a kind
(--kind). Statistics names nobody. --refused records a refusal, which is
honoured too (a refused statistics consent keeps the case out of every count).`,
		Examples: []string{
			"casectl consent add SHA-2026-0001 --purpose legal-representation --to legal-b --method 'signed form'",
			"casectl consent add SHA-2026-0001 --purpose assistance --kind medical --expires 2027-06-30",
			"casectl consent add SHA-2026-0001 --purpose statistics --refused",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&purpose, "purpose", "", "what for: "+choices[casebridgev1.ConsentPurpose]()+" (required)")
			fs.StringVar(&to, "to", "", "the `organisation` that may receive the case")
			fs.StringVar(&kind, "kind", "", "or any organisation of this `kind`: "+choices[casebridgev1.OrganizationKind]())
			fs.BoolVar(&refused, "refused", false, "the person refused")
			fs.StringVar(&method, "method", "", "how it was given, e.g. 'signed form', 'oral, with interpreter'")
			fs.StringVar(&given, "given", "", "`date` the person decided (YYYY-MM-DD; default now)")
			fs.StringVar(&expires, "expires", "", "`date` it lapses on its own (YYYY-MM-DD)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			req, err := a.consentRequest(purpose, to, kind, method, given, expires, refused)
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
			if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			resp, err := c.cases.RecordConsent(ctx, req)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record consent on %s", args[0]), consentHints)
			}
			a.say("Consent recorded on %s.", args[0])
			return output.One(a.stdout(), f, resp.GetConsent(), consentColumns)
		},
	}
}

func (a *app) consentRequest(purpose, to, kind, method, given, expires string, refused bool) (*casebridgev1.RecordConsentRequest, error) {
	if purpose == "" {
		return nil, cli.Usagef("--purpose is required: %s", choices[casebridgev1.ConsentPurpose]())
	}
	if to != "" && kind != "" {
		return nil, cli.Usagef("give --to or --kind, not both")
	}
	req := &casebridgev1.RecordConsentRequest{Method: method, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED}
	if refused {
		req.Decision = casebridgev1.ConsentDecision_CONSENT_DECISION_REFUSED
	}
	var err error
	if req.Purpose, err = parseEnum[casebridgev1.ConsentPurpose]("--purpose", purpose); err != nil {
		return nil, err
	}
	switch {
	case to != "":
		req.Recipient = &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: to}
	case kind != "":
		k, err := parseEnum[casebridgev1.OrganizationKind]("--kind", kind)
		if err != nil {
			return nil, err
		}
		req.Recipient = &casebridgev1.RecordConsentRequest_OrganizationKind{OrganizationKind: k}
	}
	if given != "" {
		d, err := time.ParseInLocation("2006-01-02", given, time.Local)
		if err != nil {
			return nil, cli.Usagef("--given: %q is not a date: write YYYY-MM-DD", given)
		}
		// The start of that day: never in the future for today's date.
		req.GivenTime = timestamppb.New(d)
	}
	if expires != "" {
		d, err := time.ParseInLocation("2006-01-02", expires, time.Local)
		if err != nil {
			return nil, cli.Usagef("--expires: %q is not a date: write YYYY-MM-DD", expires)
		}
		// It lapses at the end of that day.
		req.ExpireTime = timestamppb.New(d.AddDate(0, 0, 1).Add(-time.Second))
	}
	return req, nil
}

func (a *app) consentWithdrawCommand() *cli.Command {
	return &cli.Command{
		Name:    "withdraw",
		Args:    "REF CONSENT_ID",
		MinArgs: 2, MaxArgs: 2,
		Summary: "withdraw a consent; the sharing it allowed ends at once",
		Help: `Withdraw a consent, as the person asked. Every accepted referral that relied
on it is revoked at once: the receiving organisation loses access to the case.`,
		Examples: []string{"casectl consent withdraw SHA-2026-0001 6d1f3f0f-0b6f-4c59-9a51-3d2a0c1e7b2e"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
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
			resp, err := c.cases.WithdrawConsent(ctx, &casebridgev1.WithdrawConsentRequest{CaseId: id, ConsentId: args[1]})
			if err != nil {
				return explain.Wrap(err, "withdraw consent %s on %s", args[1], args[0])
			}
			a.say("Consent withdrawn.")
			return output.One(a.stdout(), f, resp.GetConsent(), consentColumns)
		},
	}
}

func (a *app) consentListCommand() *cli.Command {
	var limit int
	return &cli.Command{
		Name:     "list",
		Args:     "REF",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  "list a case's consents, newest first",
		Examples: []string{"casectl consent list SHA-2026-0001"},
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
			id, err := caseID(ctx, c, args[0])
			if err != nil {
				return err
			}
			req := &casebridgev1.ListConsentsRequest{CaseId: id}
			consents, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Consent, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.cases.ListConsents(ctx, req)
				return resp.GetConsents(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "consents of %s", args[0])
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, consents, consentColumns)
		},
	}
}
