package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/money"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) paymentsCommand() *cli.Command {
	return &cli.Command{
		Name:    "payments",
		Summary: "the ledger of money actually received on a claim (lawyers)",
		Help: `Payments are an append-only ledger: an entry is never changed or deleted, a
mistake is fixed by a correction entry (--correction, with a reason; it may
be negative). CLAIM is a claim id, or a case reference with one claim.`,
		Examples: []string{
			"casectl payments add SHA-2026-0001 --amount '1234.50 EUR' --date 2026-12-20",
			"casectl payments add SHA-2026-0001 --amount '-100 EUR' --date 2026-12-21 --correction --reason 'bank fee counted twice'",
			"casectl payments list SHA-2026-0001",
		},
		Sub: []*cli.Command{a.paymentsAddCommand(), a.paymentsListCommand()},
	}
}

func (a *app) paymentsAddCommand() *cli.Command {
	var amount, date, payerKind, payerName, reason, corrects string
	var correction bool
	return &cli.Command{
		Name:    "add",
		Args:    "CLAIM",
		MinArgs: 1, MaxArgs: 1,
		Summary: "record money received on an awarded claim",
		Examples: []string{
			"casectl payments add SHA-2026-0001 --amount '1234.50 EUR' --date 2026-12-20",
			"casectl payments add SHA-2026-0001 --amount '500 EUR' --date 2027-01-10 --payer state-fund --payer-name 'Victim Compensation Fund'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&amount, "amount", "", "`amount` received, in the claim's currency, e.g. '1234.50 EUR' (required)")
			fs.StringVar(&date, "date", "", "`date` the money was received, YYYY-MM-DD (required)")
			fs.StringVar(&payerKind, "payer", "", "who paid, if not the respondent: "+choices[casebridgev1.ClaimPartyKind]())
			fs.StringVar(&payerName, "payer-name", "", "payer's name (no victim data)")
			fs.BoolVar(&correction, "correction", false, "a correction of the ledger (may be negative)")
			fs.StringVar(&reason, "reason", "", "why the correction is made (required for a correction)")
			fs.StringVar(&corrects, "corrects", "", "`id` of the entry the correction fixes")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if amount == "" || date == "" {
				return cli.Usagef("--amount and --date are required, e.g. --amount '1234.50 EUR' --date 2026-12-20")
			}
			req := &casebridgev1.RecordPaymentRequest{Correction: correction, Reason: reason, CorrectsPaymentId: corrects}
			var err error
			if req.Amount, err = parseMoney("--amount", amount); err != nil {
				return err
			}
			if req.PaidDate, err = parseDate("--date", date, a.env.Now()); err != nil {
				return err
			}
			if payerKind != "" || payerName != "" {
				req.Payer = &casebridgev1.ClaimParty{Name: payerName}
				if payerKind != "" {
					if req.Payer.Kind, err = parseEnum[casebridgev1.ClaimPartyKind]("--payer", payerKind); err != nil {
						return err
					}
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
			claim, err := getClaim(ctx, c, args[0])
			if err != nil {
				return err
			}
			req.ClaimId, req.Etag = claim.GetId(), claim.GetEtag()
			resp, err := c.compensation.RecordPayment(ctx, req)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record payment on %s", args[0]), map[string]string{
					"amount": "--amount", "paid_date": "--date", "payer.kind": "--payer", "payer.name": "--payer-name",
					"reason": "--reason", "corrects_payment_id": "--corrects", "correction": "--correction",
				})
			}
			after := resp.GetClaim()
			a.say("Payment recorded: %s paid of %s awarded; the claim is %s.",
				money.Format(after.GetAmountPaid()), money.Format(after.GetAmountAwarded()), enumName(after.GetStatus()))
			return output.One(a.stdout(), f, resp.GetPayment(), paymentColumns)
		},
	}
}

func (a *app) paymentsListCommand() *cli.Command {
	var limit int
	return &cli.Command{
		Name:     "list",
		Args:     "CLAIM",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  "list a claim's ledger, oldest entry first",
		Examples: []string{"casectl payments list SHA-2026-0001", "casectl payments list SHA-2026-0001 --output csv"},
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
			id, err := claimID(ctx, c, args[0])
			if err != nil {
				return err
			}
			req := &casebridgev1.ListPaymentsRequest{ClaimId: id}
			ps, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Payment, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.compensation.ListPayments(ctx, req)
				return resp.GetPayments(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "payments of %s", args[0])
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, ps, paymentColumns)
		},
	}
}
