// Command casebridged is the Casebridge server: every gRPC service on one
// port, PostgreSQL as the only state.
//
//	casebridged [serve] [flags]     run the server (see --help)
//	casebridged migrate [flags]     apply schema migrations and exit
//	casebridged dev-token --data-dir DIR --user SUBJECT
//	                                print a dev-mode token on the last line
//	casebridged bootstrap --org ID --name NAME --kind KIND --admin SUBJECT [flags]
//	                                create the first organisation and its admin
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/bootstrap"
	"github.com/casebridge/casebridge/internal/config"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/vault"
)

const envPrefix = "CASEBRIDGE_"

var envAliases = map[string]string{"database-url": "DATABASE_URL"}

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate" || args[0] == "dev-token" || args[0] == "bootstrap") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "migrate":
		err = migrate(args)
	case "dev-token":
		err = devToken(args)
	case "bootstrap":
		err = bootstrapOrg(args)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "casebridged:", err)
		os.Exit(1)
	}
}

func parse(name string, args []string, cfg *server.Config) error {
	fs := flag.NewFlagSet("casebridged "+name, flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	config.Usage(fs, envPrefix, envAliases)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return config.ApplyEnv(fs, envPrefix, envAliases)
}

func serve(args []string) error {
	var cfg server.Config
	if err := parse("serve", args, &cfg); err != nil {
		return err
	}
	log, err := server.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if cfg.Dev {
		fmt.Fprintf(os.Stderr, "\nCasebridge (dev mode) is listening on %s\n"+
			"  grpcurl -plaintext %s list\n"+
			"  TOKEN=$(go run ./cmd/casebridged dev-token --data-dir %s --user caseworker@shelter-a | tail -n 1)\n"+
			"  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" %s casebridge.v1.OrganizationService/GetCallerIdentity\n\n",
			lis.Addr(), lis.Addr(), cfg.DataDir, lis.Addr())
	}
	return srv.Serve(ctx, lis)
}

func migrate(args []string) error {
	var cfg server.Config
	if err := parse("migrate", args, &cfg); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("--database-url (or DATABASE_URL) is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	fmt.Println("migrations applied")
	return nil
}

func devToken(args []string) error {
	fs := flag.NewFlagSet("casebridged dev-token", flag.ContinueOnError)
	dataDir := fs.String("data-dir", ".data/casebridged", "the dev server's --data-dir")
	user := fs.String("user", "", "subject to mint a token for, e.g. caseworker@shelter-a")
	ttl := fs.Duration("ttl", 8*time.Hour, "token lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("--user is required, e.g. --user caseworker@shelter-a")
	}
	issuer, err := authn.LoadOrCreateDevIssuer(*dataDir)
	if err != nil {
		return err
	}
	token, err := issuer.Mint(*user, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "dev-mode token for %s, valid %s:\n", *user, *ttl)
	fmt.Println(token)
	return nil
}

func bootstrapOrg(args []string) error {
	fs := flag.NewFlagSet("casebridged bootstrap", flag.ContinueOnError)
	var cfg server.Config
	cfg.RegisterFlags(fs)
	var o bootstrap.Organization
	var kind string
	fs.StringVar(&o.ID, "org", "", "organisation id, e.g. shelter-a")
	fs.StringVar(&o.Name, "name", "", "organisation display name")
	fs.StringVar(&kind, "kind", "", "shelter, legal_aid, cso, state_body, medical or coordinating_body")
	fs.StringVar(&o.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	fs.StringVar(&o.Admin, "admin", "", "token subject of the first org admin (and network admin, for a coordinating body)")
	config.Usage(fs, envPrefix, envAliases)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, envPrefix, envAliases); err != nil {
		return err
	}
	o.Kind = bootstrap.ParseKind(kind)
	if cfg.DatabaseURL == "" || cfg.KeyringDir == "" {
		return fmt.Errorf("--database-url and --keyring-dir are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	keyring, err := vault.LoadKeyring(cfg.KeyringDir)
	if err != nil {
		return err
	}
	km := keys.NewManager(pool, keyring, nil, nil)
	defer km.Close()
	if err := bootstrap.Create(ctx, pool, km, o); err != nil {
		return err
	}
	fmt.Printf("organisation %s ready; %s holds %s there\n", o.ID, o.Admin, strings.Join(bootstrap.AdminRoles(o.Kind), " and "))
	return nil
}
