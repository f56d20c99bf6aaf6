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

func (a *app) servicesCommand() *cli.Command {
	return &cli.Command{
		Name:    "services",
		Summary: "services planned for and delivered to the person",
		Help: `Record each service the person is to receive and, once received, when it was
delivered: in-house, or by the organisation a referral of the case went to
(--referral). The kinds are those of referrals. The delivery dates feed the
anonymised indicators (services delivered, days to the first service);
descriptions and outcomes are care data, encrypted.`,
		Examples: []string{
			"casectl services add SHA-2026-0001 --kind shelter --planned 2026-10-01",
			"casectl services add SHA-2026-0001 --kind psychosocial --referral REFERRAL",
			"casectl services deliver SHA-2026-0001 SERVICE --date today --outcome -",
			"casectl services list SHA-2026-0001",
		},
		Sub: []*cli.Command{a.servicesAddCommand(), a.servicesDeliverCommand(), a.servicesListCommand()},
	}
}

func (a *app) servicesAddCommand() *cli.Command {
	var kind, referral, planned, delivered, text string
	return &cli.Command{
		Name: "add", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary: "record a service planned (or already delivered)",
		Examples: []string{"casectl services add SHA-2026-0001 --kind shelter --planned 2026-10-01",
			"casectl services add SHA-2026-0001 --kind medical --delivered today"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&kind, "kind", "", "kind of service: "+choices[casebridgev1.ServiceKind]()+" (required)")
			fs.StringVar(&referral, "referral", "", "the referral (`id`) through which another organisation provides it; in-house without")
			fs.StringVar(&planned, "planned", "", "`date` it is planned for")
			fs.StringVar(&delivered, "delivered", "", "`date` it was delivered, when it already was")
			fs.StringVar(&text, "text", "", "what exactly is provided (care data; - reads standard input)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if kind == "" {
				return cli.Usagef("--kind is required: %s", choices[casebridgev1.ServiceKind]())
			}
			v := &casebridgev1.SupportService{Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE, ReferralId: referral}
			var err error
			if v.Kind, err = parseEnum[casebridgev1.ServiceKind]("--kind", kind); err != nil {
				return err
			}
			if referral != "" {
				v.Provider = casebridgev1.ServiceProvider_SERVICE_PROVIDER_REFERRAL
			}
			if planned != "" {
				if v.PlannedDate, err = parseDate("--planned", planned, a.env.Now()); err != nil {
					return err
				}
			}
			if delivered != "" {
				if v.DeliveredDate, err = parseDate("--delivered", delivered, a.env.Now()); err != nil {
					return err
				}
				v.Status = casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED
			}
			if v.Description, err = a.textArg(text); err != nil {
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
			resp, err := c.casework.AddService(ctx, &casebridgev1.AddServiceRequest{CaseId: id, Service: v})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record a service for %s", args[0]), map[string]string{
					"service.kind": "--kind", "service.referral_id": "--referral", "service.planned_date": "--planned",
					"service.delivered_date": "--delivered", "service.description": "--text"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.SupportService{resp.GetService()}, serviceColumns)
		},
	}
}

// caseServices lists every service of case REF (bounded by limit).
func caseServices(ctx context.Context, c *clients, ref string, limit int) ([]*casebridgev1.SupportService, bool, error) {
	id, err := caseID(ctx, c, ref)
	if err != nil {
		return nil, false, err
	}
	out, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.SupportService, string, error) {
		resp, err := c.casework.ListServices(ctx, &casebridgev1.ListServicesRequest{CaseId: id, PageToken: token, PageSize: size})
		return resp.GetServices(), resp.GetNextPageToken(), err
	})
	if err != nil {
		return nil, false, explain.Wrap(err, "services of %s", ref)
	}
	return out, more, nil
}

func (a *app) servicesDeliverCommand() *cli.Command {
	var date, outcome string
	return &cli.Command{
		Name: "deliver", Args: "REF SERVICE", MinArgs: 2, MaxArgs: 2,
		Summary:  "record that a service was delivered, and what came of it",
		Examples: []string{"casectl services deliver SHA-2026-0001 SERVICE --date today --outcome 'settled in'"},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&date, "date", "today", "`date` it was delivered (the first day the person received it)")
			fs.StringVar(&outcome, "outcome", "", "what came of it (care data; - reads standard input)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			d, err := parseDate("--date", date, a.env.Now())
			if err != nil {
				return err
			}
			text, err := a.textArg(outcome)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			all, _, err := caseServices(ctx, c, args[0], 500)
			if err != nil {
				return err
			}
			var etag string
			for _, v := range all {
				if v.GetId() == args[1] {
					etag = v.GetEtag()
				}
			}
			if etag == "" {
				return fmt.Errorf("%s is not a service of %s", args[1], args[0])
			}
			paths := []string{"status", "delivered_date"}
			if text != "" {
				paths = append(paths, "outcome")
			}
			resp, err := c.casework.UpdateService(ctx, &casebridgev1.UpdateServiceRequest{
				Service: &casebridgev1.SupportService{Id: args[1], Status: casebridgev1.ServiceStatus_SERVICE_STATUS_DELIVERED,
					DeliveredDate: d, Outcome: text},
				UpdateMask: maskOf(paths...), Etag: etag})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "record service %s delivered", args[1]),
					map[string]string{"service.delivered_date": "--date", "service.outcome": "--outcome"})
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			return output.List(a.stdout(), f, []*casebridgev1.SupportService{resp.GetService()}, serviceColumns)
		},
	}
}

func (a *app) servicesListCommand() *cli.Command {
	var limit int
	return &cli.Command{
		Name: "list", Args: "REF", MinArgs: 1, MaxArgs: 1,
		Summary:  "list the case's services, oldest first",
		Examples: []string{"casectl services list SHA-2026-0001", "casectl services list SHA-2026-0001 --output csv"},
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
			all, more, err := caseServices(ctx, c, args[0], limit)
			if err != nil {
				return err
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, all, serviceColumns)
		},
	}
}
