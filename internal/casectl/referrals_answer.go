package casectl

import (
	"context"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

const (
	incoming = casebridgev1.ReferralDirection_REFERRAL_DIRECTION_INCOMING
	outgoing = casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING
	pending  = casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING
	accepted = casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED
)

// referralStep is one answer to a referral: which referrals it applies to
// (to find one by case reference) and the call that makes it.
type referralStep struct {
	name, summary, help string
	examples            []string
	direction           casebridgev1.ReferralDirection
	from                []casebridgev1.ReferralStatus
	// reason: "" no --reason flag, "required" or "optional".
	reason string
	call   func(ctx context.Context, c *clients, r *casebridgev1.Referral, reason string) (*casebridgev1.Referral, error)
}

func (a *app) referralStepCommand(s referralStep) *cli.Command {
	var reason string
	return &cli.Command{
		Name:     s.name,
		Args:     "ID|REF",
		MinArgs:  1,
		MaxArgs:  1,
		Summary:  s.summary,
		Help:     s.help,
		Examples: s.examples,
		Flags: func(fs *pflag.FlagSet) {
			if s.reason != "" {
				fs.StringVar(&reason, "reason", "", "why ("+s.reason+"; plain text shown to the other organisation: no victim data)")
			}
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if s.reason == "required" && reason == "" {
				return cli.Usagef("--reason is required")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := referralFor(ctx, c, args[0], s.direction, s.from...)
			if err != nil {
				return err
			}
			after, err := s.call(ctx, c, r, reason)
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "%s referral %s", s.name, r.GetId()), map[string]string{"reason": "--reason"})
			}
			a.say("Referral of %s is now %s.", after.GetCaseReference(), enumName(after.GetStatus()))
			return output.One(a.stdout(), f, after, referralDetail)
		},
	}
}

func (a *app) referralsAcceptCommand() *cli.Command {
	return a.referralStepCommand(referralStep{
		name: "accept", summary: "accept a referral your organisation received",
		help: `Agree to provide the service. From now on your organisation can read the
classes of the case the referral shares, as far as your roles allow.`,
		examples:  []string{"casectl referrals accept SHA-2026-0001", "casectl referrals accept 3d2a0c1e-6d1f-4c59-9a51-0b6f3f0f7b2e"},
		direction: incoming, from: []casebridgev1.ReferralStatus{pending},
		call: func(ctx context.Context, c *clients, r *casebridgev1.Referral, _ string) (*casebridgev1.Referral, error) {
			resp, err := c.referrals.AcceptReferral(ctx, &casebridgev1.AcceptReferralRequest{Id: r.GetId(), Etag: r.GetEtag()})
			return resp.GetReferral(), err
		},
	})
}

func (a *app) referralsDeclineCommand() *cli.Command {
	return a.referralStepCommand(referralStep{
		name: "decline", summary: "decline a pending referral, saying why",
		help:      "Refuse a pending referral. The reason is shown to the referring organisation.",
		examples:  []string{"casectl referrals decline SHA-2026-0001 --reason 'no capacity this month'"},
		direction: incoming, from: []casebridgev1.ReferralStatus{pending}, reason: "required",
		call: func(ctx context.Context, c *clients, r *casebridgev1.Referral, reason string) (*casebridgev1.Referral, error) {
			resp, err := c.referrals.DeclineReferral(ctx, &casebridgev1.DeclineReferralRequest{Id: r.GetId(), Etag: r.GetEtag(), Reason: reason})
			return resp.GetReferral(), err
		},
	})
}

func (a *app) referralsCompleteCommand() *cli.Command {
	return a.referralStepCommand(referralStep{
		name: "complete", summary: "report that the service was provided",
		help:      "Report that your organisation provided the service. Its access to the case ends.",
		examples:  []string{"casectl referrals complete SHA-2026-0001"},
		direction: incoming, from: []casebridgev1.ReferralStatus{accepted},
		call: func(ctx context.Context, c *clients, r *casebridgev1.Referral, _ string) (*casebridgev1.Referral, error) {
			resp, err := c.referrals.CompleteReferral(ctx, &casebridgev1.CompleteReferralRequest{Id: r.GetId(), Etag: r.GetEtag()})
			return resp.GetReferral(), err
		},
	})
}

func (a *app) referralsWithdrawCommand() *cli.Command {
	return a.referralStepCommand(referralStep{
		name: "withdraw", summary: "cancel a referral your organisation made",
		help:      "Cancel a pending or accepted referral your organisation made; any access it granted ends.",
		examples:  []string{"casectl referrals withdraw SHA-2026-0001 --reason 'the person moved to another city'"},
		direction: outgoing, from: []casebridgev1.ReferralStatus{pending, accepted}, reason: "optional",
		call: func(ctx context.Context, c *clients, r *casebridgev1.Referral, reason string) (*casebridgev1.Referral, error) {
			resp, err := c.referrals.WithdrawReferral(ctx, &casebridgev1.WithdrawReferralRequest{Id: r.GetId(), Etag: r.GetEtag(), Reason: reason})
			return resp.GetReferral(), err
		},
	})
}
