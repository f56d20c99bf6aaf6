package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/spf13/pflag"
)

// Main runs the web client with the command line args, until ctx ends; it
// returns the process's exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("casebridge-web", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.BoolVar(&cfg.Dev, "dev", false, "laptop demo mode: plain HTTP on loopback, sign-in as a demo user. NEVER in production")
	fs.StringVar(&cfg.Listen, "listen", DefaultListen, "address to serve the pages on")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM `file` of the pages' TLS certificate (required outside dev mode)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM `file` of its private key")
	fs.StringVar(&cfg.API, "api", DefaultAPI, "casebridged's gRPC `address`")
	fs.BoolVar(&cfg.APIInsecure, "api-insecure", false, "reach casebridged without TLS (dev mode only)")
	fs.StringVar(&cfg.APICA, "api-ca", "", "PEM `file` of the CA that signed casebridged's certificate")
	fs.StringVar(&cfg.APICert, "api-cert", "", "client certificate PEM `file`, for a casebridged that requires one")
	fs.StringVar(&cfg.APIKey, "api-key", "", "its private key PEM `file`")
	fs.StringVar(&cfg.SessionKeyFile, "session-key-file", "", "`file` of session-sealing keys (base64, one a line, newest first); the same on every replica")
	fs.DurationVar(&cfg.Idle, "idle-timeout", DefaultIdle, "sign out after this long without activity")
	fs.StringVar(&cfg.DevDataDir, "dev-data-dir", ".data/casebridged", "with --dev: casebridged's --data-dir, whose key signs the demo users' tokens")
	fs.StringVar(&cfg.TimeZone, "time-zone", "", "show times in this IANA `zone` (default: the machine's)")
	fs.StringVar(&cfg.OIDC.Issuer, "oidc-issuer", "", "OpenID Connect issuer `URL` people sign in with: casebridged's --jwt-issuer")
	fs.StringVar(&cfg.OIDC.ClientID, "oidc-client-id", "", "this client's id at the issuer")
	fs.StringVar(&cfg.OIDC.ClientSecretFile, "oidc-client-secret-file", "", "`file` holding this client's secret (none: a public client, PKCE alone)")
	fs.StringVar(&cfg.OIDC.RedirectURL, "oidc-redirect-url", "", "this client's callback `URL` as registered: https://<host>/signin/oidc/callback")
	fs.StringVar(&cfg.OIDC.CAFile, "oidc-ca", "", "PEM `file` of the only CA trusted for the issuer (default: the system's)")
	fs.StringSliceVar(&cfg.OIDC.Scopes, "oidc-scope", nil, "scope to ask for beside openid (repeatable)")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *help {
		fmt.Fprintln(stdout, "casebridge-web: Casebridge in the browser, a client of casebridged's API.\n\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	if cfg.Dev && !fs.Changed("api-insecure") && cfg.APICA == "" {
		// A dev-mode casebridged serves plaintext on loopback.
		cfg.APIInsecure = true
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "casebridge-web:", err)
		return 2
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", srv.cfg.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "casebridge-web:", err)
		return 1
	}
	scheme := "https"
	if cfg.Dev && cfg.TLSCert == "" {
		scheme = "http"
		log.Warn("DEV MODE: plain HTTP, anyone on this machine can sign in as any demo user; not for real data")
	}
	fmt.Fprintf(stdout, "casebridge-web: serving on %s://%s (API %s)\n", scheme, lis.Addr(), cfg.API)
	if err := srv.Serve(ctx, lis); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "casebridge-web:", err)
		return 1
	}
	return 0
}
