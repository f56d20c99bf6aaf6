package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) referCommand() *cli.Command {
	var to, service, classes, message, consent string
	return &cli.Command{
		Name:    "refer",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "refer a person to another organisation for a service",
		Help: `Ask another organisation to provide a service to the person of a case. It
needs an active consent covering that organisation for the matching purpose
(legal representation for --service legal, assistance for the others):
record it first with 'casectl consent add'. Once the receiver accepts, it can
read the classes named by --classes (as far as its roles allow); without
--classes it sees coded attributes and status only. --message goes to the
receiver in plain text: never put victim data in it.`,
		Examples: []string{
			"casectl refer SHA-2026-0001 --to legal-b --service legal --classes identity,legal",
			"casectl refer SHA-2026-0001 --to cso-c --service psychosocial --message 'weekly sessions, Macedonian speaker'",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&to, "to", "", "receiving `organisation` id (see 'casectl orgs'; required)")
			fs.StringVar(&service, "service", "", "service asked for: "+choices[casebridgev1.ServiceKind]()+" (required)")
			fs.StringVar(&classes, "classes", "", "data classes the receiver may read, comma-separated: "+choices[casebridgev1.DataClass]())
			fs.StringVar(&message, "message", "", "note to the receiver (plain text: no victim data)")
			fs.StringVar(&consent, "consent", "", "`id` of the consent to rely on (default: the server picks the matching one)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if to == "" || service == "" {
				return cli.Usagef("--to ORG and --service are required, e.g. --to legal-b --service legal")
			}
			req := &casebridgev1.CreateReferralRequest{ToOrganizationId: to, Message: message, ConsentId: consent}
			var err error
			if req.Service, err = parseEnum[casebridgev1.ServiceKind]("--service", service); err != nil {
				return err
			}
			if req.GrantedClasses, err = parseEnums[casebridgev1.DataClass]("--classes", classes); err != nil {
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
			resp, err := c.referrals.CreateReferral(ctx, req)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "refer %s to %s", args[0], to), map[string]string{
					"to_organization_id": "--to", "service": "--service", "granted_classes": "--classes",
					"message": "--message", "consent_id": "--consent",
				})
			}
			a.say("Referred %s to %s; the referral is %s.", args[0], to, enumName(resp.GetReferral().GetStatus()))
			return output.One(a.stdout(), f, resp.GetReferral(), referralDetail)
		},
	}
}
