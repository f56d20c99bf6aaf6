package casectl

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/dial"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/settings"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) whoamiCommand() *cli.Command {
	return &cli.Command{
		Name:     "whoami",
		Summary:  "show who the server takes you for, and your roles",
		Help:     "Ask the server who the saved token (or $CASEBRIDGE_TOKEN) belongs to and which roles it holds in which organisation.",
		Examples: []string{"casectl whoami", "casectl whoami --output json"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			who, err := c.orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
			if err != nil {
				return explain.Wrap(err, "who am I")
			}
			return a.printIdentity(who)
		},
	}
}

func (a *app) logoutCommand() *cli.Command {
	return &cli.Command{
		Name:    "logout",
		Summary: "end the saved token at the server and forget it",
		Help: "Ask the server to end the saved token on every server replica (it is refused from then on, " +
			"even where it was copied), then remove it from the settings file; the server address and TLS " +
			"settings stay for the next login. If the server cannot be reached the token is removed all the " +
			"same, and casectl says so and exits 1: the token then stays valid until it expires.",
		Examples: []string{"casectl logout"},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			path, err := settings.Path(a.env.Getenv)
			if err != nil {
				return err
			}
			s, err := settings.Load(path)
			if err != nil {
				return err
			}
			if s.Token == "" {
				a.say("Not logged in: no token is saved in %s", path)
				return nil
			}
			revokeErr := a.revokeSaved(ctx, s)
			s.Token, s.Subject = "", ""
			if err := settings.Save(path, s); err != nil {
				return err
			}
			if revokeErr != nil {
				return fmt.Errorf("the token is removed from %s, but it stays valid until it expires: %w", path, revokeErr)
			}
			a.say("Logged out: the token is ended at the server and removed from %s", path)
			return nil
		},
	}
}

// revokeSaved ends the saved token at the server: the saved one, not
// $CASEBRIDGE_TOKEN, since that is what logout forgets. A token the server
// refuses already (expired, ended elsewhere) is as good as ended.
func (a *app) revokeSaved(ctx context.Context, s settings.Settings) error {
	t, err := a.target()
	if err != nil && !errors.Is(err, errNotLoggedIn) {
		return err
	}
	t.Token = s.Token
	if t.Address == "" {
		return errors.New("no server address to end it at")
	}
	conn, err := dial.Dial(t)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = casebridgev1.NewOrganizationServiceClient(conn).RevokeCallerToken(ctx,
		&casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER})
	if err != nil && status.Code(err) != codes.Unauthenticated {
		return explain.Wrap(err, "end the token at the server")
	}
	return nil
}

func (a *app) orgsCommand() *cli.Command {
	var kind, country string
	var limit int
	return &cli.Command{
		Name:    "orgs",
		Summary: "list the organisations you can refer a case to",
		Help:    "List the directory of organisations: their ids are what 'refer --to' and 'consent add --to' take.",
		Examples: []string{
			"casectl orgs",
			"casectl orgs --kind legal-aid --country RS",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&kind, "kind", "", "only organisations of this `kind`: "+choices[casebridgev1.OrganizationKind]())
			fs.StringVar(&country, "country", "", "only organisations in this `country` (ISO 3166-1 alpha-2)")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, _ []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListOrganizationsRequest{CountryCode: upper(country)}
			if kind != "" {
				if req.Kind, err = parseEnum[casebridgev1.OrganizationKind]("--kind", kind); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			orgs, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Organization, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.orgs.ListOrganizations(ctx, req)
				return resp.GetOrganizations(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "list organisations"), map[string]string{"country_code": "--country"})
			}
			a.noteMore(more, limit)
			return output.List(a.stdout(), f, orgs, orgColumns)
		},
	}
}
