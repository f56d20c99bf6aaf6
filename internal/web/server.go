// Package web is Casebridge in the browser: server-rendered pages over the
// public gRPC API, as a client like casectl. It holds no database
// connection and no key; every call carries the signed-in user's token, so
// the server's authorization, redaction and audit apply unchanged.
//
// A page is a handler taking a [*Request] (the session, the user's language
// and a context carrying the token), a template under templates/pages and
// its messages under internal/web/locales. Routes are registered per area
// (routesCases, routesReferrals, ...) in routes.go.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"google.golang.org/grpc"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/casectl/dial"
	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
	"github.com/casebridge/casebridge/internal/web/session"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Config is the web client's configuration.
type Config struct {
	// Dev: plain HTTP on loopback, sign-in as a demo user. Never in production.
	Dev bool
	// Listen is the address to serve on (default 127.0.0.1:8080).
	Listen string
	// TLSCert and TLSKey are the page's certificate; required outside dev mode.
	TLSCert, TLSKey string
	// API is casebridged's gRPC address; APIInsecure reaches it without TLS
	// (dev mode only); APICA, APICert and APIKey as casectl's --ca/--cert/--key.
	API                    string
	APIInsecure            bool
	APICA, APICert, APIKey string
	// SessionKeyFile holds the key(s) that seal session cookies; every
	// replica must have the same file. Dev mode without one uses a key of
	// its own (sessions end when it restarts).
	SessionKeyFile string
	// Idle is how long a session lives without activity.
	Idle time.Duration
	// DevDataDir is casebridged's --data-dir in dev mode, whose signing key
	// mints the demo users' tokens.
	DevDataDir string
	// DevTokenTTL is how long a dev sign-in's token lasts.
	DevTokenTTL time.Duration
	// TimeZone shows times in this IANA zone (default: the machine's).
	TimeZone string
	// CallTimeout bounds each API call of a page.
	CallTimeout time.Duration
	// OIDC is the OpenID Connect sign-in (signin_oidc.go).
	OIDC OIDCConfig
}

// Defaults of a dev setup beside `make run`.
const (
	DefaultListen = "127.0.0.1:8080"
	DefaultAPI    = "127.0.0.1:7443"
	DefaultIdle   = 15 * time.Minute
)

// Validate refuses a configuration that would serve without protection.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.API == "" {
		errs = append(errs, errors.New("--api (casebridged's address) is required"))
	}
	if c.Idle <= 0 {
		errs = append(errs, errors.New("--idle-timeout must be positive"))
	}
	errs = append(errs, c.OIDC.validate()...)
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("--time-zone: %w", err))
		}
	}
	if c.Dev {
		if err := loopbackOnly(c.Listen); err != nil {
			errs = append(errs, err)
		}
		if c.DevDataDir == "" {
			errs = append(errs, errors.New("--dev-data-dir (casebridged's --data-dir) is required in dev mode"))
		}
		return errors.Join(errs...)
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		errs = append(errs, errors.New("TLS is required outside dev mode: --tls-cert and --tls-key"))
	}
	if c.SessionKeyFile == "" {
		errs = append(errs, errors.New("--session-key-file is required outside dev mode (the same file on every replica)"))
	}
	if c.OIDC.Issuer == "" {
		errs = append(errs, errors.New("--oidc-issuer is required outside dev mode: it is how people sign in"))
	}
	if c.APIInsecure {
		errs = append(errs, errors.New("--api-insecure is for dev mode only: tokens must not cross the network in the clear"))
	}
	return errors.Join(errs...)
}

func loopbackOnly(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %s: dev mode listens on loopback only (127.0.0.1, ::1 or localhost), "+
		"because it serves without TLS and signs in anyone as any demo user", listen)
}

// Server is the web client.
type Server struct {
	cfg      Config
	log      *slog.Logger
	conn     *grpc.ClientConn
	api      clients
	sessions *session.Manager
	cat      *i18n.Catalogue
	pages    map[string]*template.Template
	loc      *time.Location
	dev      *authn.DevIssuer
	handler  http.Handler
	// signIns are the sign-in methods offered on the sign-in page.
	signIns []SignIn
}

// SignIn is a way to sign in offered on the sign-in page (dev mode's demo
// users, OpenID Connect): Routes registers its handlers, which end by
// calling Server.StartSession with the token they obtained. Name ("dev",
// "oidc") chooses its part of the sign-in page: the template
// "signin.<name>" in templates/signin/<name>.html, included by
// templates/pages/signin.html.
type SignIn interface {
	Routes(s *Server, mux *http.ServeMux)
	Name() string
}

// New dials the API and builds the handler. Nothing is served until Serve.
func New(cfg Config, log *slog.Logger, extra ...SignIn) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cat, err := i18n.Load(locales.FS)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, cat: cat, loc: time.Local}
	if cfg.TimeZone != "" {
		s.loc, _ = time.LoadLocation(cfg.TimeZone)
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	var keys [][]byte
	switch {
	case cfg.SessionKeyFile != "":
		if keys, err = session.ReadKeyFile(cfg.SessionKeyFile); err != nil {
			return nil, err
		}
	default: // dev mode (Validate demands a file otherwise)
		keys = [][]byte{session.NewKey()}
	}
	if s.sessions, err = session.NewManager(keys, cfg.Idle, !cfg.Dev); err != nil {
		return nil, err
	}
	if cfg.Dev {
		if info, err := os.Stat(cfg.DevDataDir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("dev data directory %s not found: give casebridged's --data-dir (make run uses .data/casebridged)", cfg.DevDataDir)
		}
		if s.dev, err = authn.LoadOrCreateDevIssuer(cfg.DevDataDir); err != nil {
			return nil, fmt.Errorf("load the dev signing key: %w", err)
		}
		s.signIns = append(s.signIns, devSignIn{})
	}
	if cfg.OIDC.Issuer != "" {
		if err := s.addOIDC(context.Background(), keys[0]); err != nil {
			return nil, err
		}
	}
	s.signIns = append(s.signIns, extra...)
	if s.conn, err = dial.Dial(dial.Target{Address: cfg.API, Insecure: cfg.APIInsecure,
		CAFile: cfg.APICA, CertFile: cfg.APICert, KeyFile: cfg.APIKey, Timeout: cfg.callTimeout(),
		Options: refusalInterceptors()}); err != nil {
		return nil, err
	}
	s.api = newClients(s.conn)
	s.handler = s.routes()
	return s, nil
}

func (c Config) callTimeout() time.Duration {
	if c.CallTimeout > 0 {
		return c.CallTimeout
	}
	return 15 * time.Second
}

// Handler is every page, with the security headers and CSRF protection.
func (s *Server) Handler() http.Handler { return s.handler }

// Close closes the API connection.
func (s *Server) Close() error { return s.conn.Close() }

// Serve answers on lis until ctx ends: TLS unless in dev mode.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	var err error
	if s.cfg.Dev && s.cfg.TLSCert == "" {
		err = srv.Serve(lis)
	} else {
		cert, cerr := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if cerr != nil {
			return fmt.Errorf("load TLS certificate: %w", cerr)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		err = srv.ServeTLS(lis, "", "")
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// clients are the API's services.
type clients struct {
	orgs      casebridgev1.OrganizationServiceClient
	cases     casebridgev1.CaseServiceClient
	referrals casebridgev1.ReferralServiceClient
	// Conn is for pages of other areas that need another service.
	conn *grpc.ClientConn
}

func newClients(c *grpc.ClientConn) clients {
	return clients{orgs: casebridgev1.NewOrganizationServiceClient(c), cases: casebridgev1.NewCaseServiceClient(c),
		referrals: casebridgev1.NewReferralServiceClient(c), conn: c}
}

// Conn is the API connection, for a page that needs a service the web
// package does not wrap (proceedings, compensation, stats, audit).
func (s *Server) Conn() *grpc.ClientConn { return s.conn }
