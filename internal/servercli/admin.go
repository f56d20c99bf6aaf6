package servercli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/bootstrap"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/vault"
)

func migrateCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the schema migrations (embedded in the binary) and exit",
		Long:    "Apply the schema migrations and exit. Run it as the owner of the schema; the server itself runs as a member of casebridge_app.",
		Example: "  casebridged migrate --database-url postgres://casebridge_owner@db.example.org/casebridge",
		Args:    cobra.NoArgs,
	}
	url := cmd.Flags().String("database-url", "", "PostgreSQL connection URL")
	withEnvUsage(cmd.Flags())
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error {
		if *url == "" {
			return errors.New("--database-url (or DATABASE_URL) is required")
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
		defer cancel()
		pool, err := db.Open(ctx, *url)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := db.Migrate(ctx, pool); err != nil {
			return err
		}
		fmt.Fprintln(io.Stdout, "migrations applied")
		return nil
	})
	return cmd
}

func devTokenCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dev-token",
		Short:   "Print a dev-mode token for a demo user (on the last line)",
		Example: "  TOKEN=$(casebridged dev-token --user caseworker@shelter-a | tail -n 1)",
		Args:    cobra.NoArgs,
	}
	dataDir := cmd.Flags().String("data-dir", ".data/casebridged", "the dev server's --data-dir")
	user := cmd.Flags().String("user", "", "subject to mint a token for, e.g. caseworker@shelter-a")
	ttl := cmd.Flags().Duration("ttl", 8*time.Hour, "token lifetime")
	withEnvUsage(cmd.Flags())
	cmd.RunE = body(func(*cobra.Command, []string) error {
		if *user == "" {
			return errors.New("--user is required, e.g. --user caseworker@shelter-a")
		}
		issuer, err := authn.LoadOrCreateDevIssuer(*dataDir)
		if err != nil {
			return err
		}
		token, err := issuer.Mint(*user, *ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stderr, "dev-mode token for %s, valid %s:\n", *user, *ttl)
		fmt.Fprintln(io.Stdout, token)
		return nil
	})
	return cmd
}

func bootstrapCommand(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the first organisation and its admin (of a coordinating body: the first network admin)",
		Example: "  casebridged bootstrap --database-url postgres://... --keyring-dir /run/secrets/casebridge-keys \\\n" +
			"    --org shelter-a --name 'Shelter A' --kind shelter --country RS --admin alice@shelter-a.example",
		Args: cobra.NoArgs,
	}
	fs := cmd.Flags()
	var o bootstrap.Organization
	var kind string
	url := fs.String("database-url", "", "PostgreSQL connection URL")
	keyringDir := fs.String("keyring-dir", "", "directory of organisation age identities (a mounted secret)")
	fs.StringVar(&o.ID, "org", "", "organisation id, e.g. shelter-a")
	fs.StringVar(&o.Name, "name", "", "organisation display name")
	fs.StringVar(&kind, "kind", "", "shelter, legal_aid, cso, state_body, medical or coordinating_body")
	fs.StringVar(&o.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	fs.StringVar(&o.Admin, "admin", "", "token subject of the first org admin (and network admin, for a coordinating body)")
	withEnvUsage(fs)
	cmd.RunE = body(func(cmd *cobra.Command, _ []string) error {
		o.Kind = bootstrap.ParseKind(kind)
		if *url == "" || *keyringDir == "" {
			return errors.New("--database-url and --keyring-dir are required")
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
		defer cancel()
		pool, err := db.Open(ctx, *url)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := db.Migrate(ctx, pool); err != nil {
			return err
		}
		keyring, err := vault.LoadKeyring(*keyringDir)
		if err != nil {
			return err
		}
		km := keys.NewManager(pool, keyring, nil, nil)
		defer km.Close()
		if err := bootstrap.Create(ctx, pool, km, o); err != nil {
			return err
		}
		fmt.Fprintf(io.Stdout, "organisation %s ready; %s holds %s there\n", o.ID, o.Admin, strings.Join(bootstrap.AdminRoles(o.Kind), " and "))
		return nil
	})
	return cmd
}
