package casectl

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/dial"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/prompt"
	"github.com/casebridge/casebridge/internal/casectl/settings"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults of a dev-mode server started with 'make run'.
const (
	defaultServer  = "127.0.0.1:7443"
	defaultDataDir = ".data/casebridged"
)

type loginOptions struct {
	insecure      bool
	ca, cert, key string
	token         string
	dev           bool
	as, dataDir   string
	ttl           time.Duration
	// tlsFlagsGiven: the TLS settings were typed, not inherited.
	tlsFlagsGiven bool
}

func (a *app) loginCommand() *cli.Command {
	var o loginOptions
	return &cli.Command{
		Name:    "login",
		Summary: "check a token with the server and remember it",
		Help: `Check a token with the server and save it, with the server's address and
TLS settings, in a file only you can read (mode 0600):
$CASECTL_CONFIG, or casebridge/config.json in your configuration directory.
$CASEBRIDGE_TOKEN and --server override the saved values on any command.

With --dev, casectl mints a token for a demo user itself, with the dev-mode
server's signing key from its --data-dir (so it must run on the server's
machine, as the same user). Dev mode has no TLS, so --dev implies --insecure.

Without --token or --dev, the token is read from $CASEBRIDGE_TOKEN, or asked
for without echo on a terminal. '--token -' reads it from standard input,
which keeps it out of your shell history.`,
		Examples: []string{
			"casectl login --dev --as caseworker@shelter-a",
			"casectl login --dev --as lawyer@legal-b --data-dir .data/casebridged --server 127.0.0.1:7443",
			"get-token | casectl login --server casebridge.example.org:443 --token -",
			"casectl login --server casebridge.internal:7443 --ca ca.pem --token -",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&o.insecure, "insecure", false, "plaintext, no TLS: only for a dev-mode server")
			fs.StringVar(&o.ca, "ca", "", "PEM `file` of the CA that signed the server's certificate")
			fs.StringVar(&o.cert, "cert", "", "client certificate PEM `file`, for a server that requires one")
			fs.StringVar(&o.key, "key", "", "client certificate's private key PEM `file`")
			fs.StringVar(&o.token, "token", "", "bearer `token`, or - to read it from standard input")
			fs.BoolVar(&o.dev, "dev", false, "mint a dev-mode token (needs the server's --data-dir)")
			fs.StringVar(&o.as, "as", "", "with --dev: the demo `user`, e.g. caseworker@shelter-a")
			fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "with --dev: the dev server's --data-dir")
			fs.DurationVar(&o.ttl, "ttl", 8*time.Hour, "with --dev: how long the token stays valid")
		},
		Run: func(ctx context.Context, fs *pflag.FlagSet, _ []string) error {
			o.tlsFlagsGiven = cli.AnySet(fs, "insecure", "ca", "cert", "key")
			return a.login(ctx, &o)
		},
	}
}

func (a *app) login(ctx context.Context, o *loginOptions) error {
	path, err := settings.Path(a.env.Getenv)
	if err != nil {
		return err
	}
	prev, err := settings.Load(path)
	if err != nil {
		return err
	}
	next := settings.Settings{Server: firstNonEmpty(a.globals.server, a.env.Getenv(EnvServer), prev.Server, defaultServer)}
	switch {
	case o.tlsFlagsGiven:
		next.Insecure, next.CAFile, next.CertFile, next.KeyFile = o.insecure, o.ca, o.cert, o.key
	case next.Server == prev.Server:
		next.Insecure, next.CAFile, next.CertFile, next.KeyFile = prev.Insecure, prev.CAFile, prev.CertFile, prev.KeyFile
	}
	if o.dev && o.ca == "" {
		next.Insecure = true
	}
	if next.Insecure && (next.CAFile != "" || next.CertFile != "") {
		return cli.Usagef("--insecure turns TLS off: it cannot be combined with --ca, --cert or --key")
	}
	if next.Token, err = a.loginToken(o); err != nil {
		return err
	}
	conn, err := dial.Dial(dial.Target{
		Address: next.Server, Insecure: next.Insecure, CAFile: next.CAFile, CertFile: next.CertFile, KeyFile: next.KeyFile,
		Token: next.Token, Timeout: a.globals.timeout,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	who, err := newClients(conn).orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
	if o.dev && status.Code(err) == codes.PermissionDenied {
		return fmt.Errorf("no such demo user %q: nobody of that name is a member of an organisation on the dev server at %s (demo users look like caseworker@shelter-a, lawyer@legal-b, coordinator@network: see the README's demo world)", o.as, next.Server)
	}
	if err != nil {
		return explain.Wrap(err, "check the token with %s", next.Server)
	}
	next.Subject = who.GetSubject()
	if err := settings.Save(path, next); err != nil {
		return err
	}
	a.say("Logged in to %s; settings saved in %s", next.Server, path)
	return a.printIdentity(who)
}

// loginToken is the token to save: minted (--dev), given, or asked for.
func (a *app) loginToken(o *loginOptions) (string, error) {
	switch {
	case o.dev && o.token != "":
		return "", cli.Usagef("give --dev or --token, not both")
	case o.dev:
		if o.as == "" {
			return "", cli.Usagef("--dev needs --as USER, e.g. --as caseworker@shelter-a")
		}
		return mintDevToken(o.dataDir, o.as, o.ttl)
	case o.as != "":
		return "", cli.Usagef("--as only works with --dev")
	case o.token == "-":
		return prompt.Secret(a.env.Stdin, a.env.Stderr, "")
	case o.token != "":
		return o.token, nil
	case a.env.Getenv(EnvToken) != "":
		return a.env.Getenv(EnvToken), nil
	case a.env.StdinTerminal:
		return prompt.Secret(a.env.Stdin, a.env.Stderr, "Token: ")
	}
	return "", cli.Usagef("no token: give --token TOKEN (or - for standard input), or --dev --as USER")
}

// mintDevToken signs a token with the dev-mode server's key. The data
// directory must exist already: creating a fresh key elsewhere would only
// make tokens the server rejects.
func mintDevToken(dataDir, subject string, ttl time.Duration) (string, error) {
	if info, err := os.Stat(dataDir); err != nil || !info.IsDir() {
		return "", fmt.Errorf("dev data directory %s not found: give the --data-dir the dev server runs with (make run uses %s from the repository root)", dataDir, defaultDataDir)
	}
	issuer, err := authn.LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		return "", fmt.Errorf("load the dev signing key: %w", err)
	}
	token, err := issuer.Mint(subject, ttl)
	if err != nil {
		return "", fmt.Errorf("mint a dev token: %w", err)
	}
	return token, nil
}

// printIdentity shows who the server says the caller is.
func (a *app) printIdentity(who *casebridgev1.GetCallerIdentityResponse) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	if f == output.JSON {
		return output.JSONObject(a.stdout(), who)
	}
	rows := make([][]string, 0, len(who.GetMemberships()))
	for _, m := range who.GetMemberships() {
		rows = append(rows, []string{who.GetSubject(), m.GetOrganizationId(), enumNames(m.GetRoles())})
	}
	if len(rows) == 0 {
		rows = append(rows, []string{who.GetSubject(), "", ""})
	}
	if f == output.CSV {
		return output.WriteCSV(a.stdout(), []string{"subject", "organisation", "roles"}, rows)
	}
	return output.WriteTable(a.stdout(), []string{"subject", "organisation", "roles"}, rows)
}
