package server

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/pflag"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/casebridge/casebridge/internal/digest"
	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/scheduler"
	"github.com/casebridge/casebridge/internal/tracing"
	"github.com/casebridge/casebridge/services/stats"
)

// Config is everything the server needs to start. Flags and environment
// variables fill it (see RegisterFlags); Validate says what is missing.
type Config struct {
	Listen string
	// AdminListen is the admin listener's address (metrics, pprof, plaintext
	// health for probes); empty: none.
	AdminListen string
	// HTTPListen is the address of the Connect and gRPC-Web listener;
	// empty: none.
	HTTPListen  string
	DatabaseURL string
	Dev         bool
	DataDir     string
	// DemoCaseload (dev mode only) seeds the demo caseload after start.
	DemoCaseload bool

	Issuer   string
	Audience string
	JWKSFile string
	JWKSURL  string

	TLSCert     string
	TLSKey      string
	TLSClientCA string

	KeyringDir string
	PolicyDir  string

	// Reflection is "auto" (or empty: on in dev mode only), "on" or "off".
	// Reflection hands anyone who connects the whole API's shape, which a
	// production deployment need not publish.
	Reflection string

	// StatsK is the suppression threshold of statistics; 0 means the default (5).
	StatsK int
	// StatsNoiseEpsilon is the ε one noisy statistics query spends;
	// StatsBudgetPopulation, StatsBudgetNetwork and StatsBudgetCoordinator
	// the budgets per period (StatsBudgetPeriod) of all networks together,
	// of a network and of each coordinator.
	// Empty means the defaults (stats.DefaultPrivacy).
	StatsNoiseEpsilon      string
	StatsBudgetPopulation  string
	StatsBudgetNetwork     string
	StatsBudgetCoordinator string
	StatsBudgetPeriod      string

	// ConsentSweep is how often sharing that relied on a lapsed consent is
	// ended (zero: every minute). Not a flag: tests shorten it.
	ConsentSweep time.Duration

	// TaskSweep is how often the system tasks (consents about to expire,
	// referrals left pending, hearings tomorrow, deadlines and reviews
	// coming up) are raised (zero: every ten minutes). Not a flag.
	TaskSweep time.Duration

	// Digest is where and when members' task digests are e-mailed; no
	// SMTP address: none are sent.
	Digest digest.Config

	// Scheduler tunes this replica's background job client. Not a flag:
	// tests of several replicas in one process name theirs.
	Scheduler scheduler.Options

	// QueryTracer, when set, observes every statement of the server's pool.
	// Not a flag: tests count the queries a workload costs with it.
	QueryTracer pgx.QueryTracer

	// OTLPEndpoint is the OpenTelemetry collector spans are exported to
	// (OTLP over gRPC); empty: no tracing.
	OTLPEndpoint string
	// SpanExporter, when set, receives every span instead (tests).
	SpanExporter sdktrace.SpanExporter

	// Blobs chooses where document ciphertext is kept.
	Blobs BlobStoreConfig

	// Limits are the per-caller, per-organisation and per-replica limits;
	// the zero value means limits.Defaults().
	Limits limits.Config

	LogLevel      string
	LogFormat     string
	ShutdownGrace time.Duration
}

// RegisterFlags declares the server's flags on fs with their defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:7443", "address to serve gRPC on")
	fs.StringVar(&c.AdminListen, "admin-listen", "127.0.0.1:9090", "address of the admin listener: /metrics, /debug/pprof/ and plaintext gRPC health for probes (empty: off); keep it off the public network")
	fs.StringVar(&c.HTTPListen, "http-listen", "", "address to serve the API as Connect (JSON over HTTP/1.1, curl) and gRPC-Web on, with the same TLS, tokens and limits (empty: off)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL connection URL")
	fs.BoolVar(&c.Dev, "dev", false, "laptop demo mode: local token issuer, generated keys, demo data, no TLS, loopback only. NEVER in production")
	fs.BoolVar(&c.DemoCaseload, "demo-caseload", false, "dev mode: also seed a demo caseload (historic cases, litigation, hearings, claims), as make run does")
	fs.StringVar(&c.DataDir, "data-dir", ".data/casebridged", "where dev mode keeps its signing key and organisation keys")
	fs.StringVar(&c.Issuer, "jwt-issuer", "", "expected issuer (iss) of bearer tokens")
	fs.StringVar(&c.Audience, "jwt-audience", "casebridge", "expected audience (aud) of bearer tokens")
	fs.StringVar(&c.JWKSFile, "jwks-file", "", "file with the token issuer's public keys (JWKS)")
	fs.StringVar(&c.JWKSURL, "jwks-url", "", "URL of the token issuer's public keys (JWKS), refreshed periodically")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "server TLS certificate (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "server TLS private key (PEM)")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", "", "CA bundle (PEM) to require and verify client certificates")
	fs.StringVar(&c.KeyringDir, "keyring-dir", "", "directory of organisation age identities (a mounted secret); dev mode default: DATA_DIR/keys")
	fs.IntVar(&c.StatsK, "stats-k", 5, "statistics withhold every count below this threshold (at least 2)")
	fs.StringVar(&c.StatsNoiseEpsilon, "stats-noise-epsilon", "1/2", "privacy parameter ε that one noisy statistics query spends (a fraction such as 1/2)")
	fs.StringVar(&c.StatsBudgetPopulation, "stats-budget-population", "4", "total ε the noisy queries of all networks together may spend per budget period: they count the same cases")
	fs.StringVar(&c.StatsBudgetNetwork, "stats-budget-network", "4", "total ε the noisy queries of one network may spend per budget period")
	fs.StringVar(&c.StatsBudgetCoordinator, "stats-budget-coordinator", "2", "total ε the noisy queries of one coordinator may spend per budget period, in all its networks together")
	fs.StringVar(&c.StatsBudgetPeriod, "stats-budget-period", "month", "how often the privacy budgets are whole again: month, quarter or year (calendar, UTC)")
	fs.StringVar(&c.Reflection, "reflection", "auto", "gRPC server reflection (grpcurl list/describe): auto (on in dev mode only), on or off")
	fs.StringVar(&c.PolicyDir, "policy-dir", "", "directory with model.conf, policy.csv and methods.csv; reloaded on change (default: the built-in policy)")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", "", "OpenTelemetry collector to export traces to over OTLP/gRPC: http://host:4317 (plaintext), https://host:4317 or host:port (TLS); empty: no tracing")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 20*time.Second, "how long in-flight calls may finish on SIGTERM")
	fs.StringVar(&c.Digest.SMTP.Addr, "smtp-addr", "", "host:port of the SMTP submission server task digests are sent through (empty: no digests)")
	fs.StringVar(&c.Digest.SMTP.From, "smtp-from", "", "sender address of task digests")
	fs.StringVar(&c.Digest.SMTP.Username, "smtp-username", "", "SMTP user name (empty: no authentication)")
	fs.StringVar(&c.Digest.SMTP.Password, "smtp-password", "", "SMTP password; prefer the environment variable to the command line")
	fs.StringVar(&c.Digest.SMTP.Security, "smtp-security", "starttls", "starttls, tls (implicit, port 465) or none (a relay on loopback only)")
	fs.StringVar(&c.Digest.PublicURL, "public-url", "", "address of the web client, which digests link to")
	fs.IntVar(&c.Digest.Hour, "digest-hour", 6, "hour of the day (UTC) from which the daily task digests are sent")
	fs.DurationVar(&c.Digest.Every, "digest-every", 10*time.Minute, "how often the server looks for task digests due")
	c.Limits.RegisterFlags(fs)
	c.Blobs.RegisterFlags(fs)
}

// Validate refuses a configuration that would run without protection.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("--database-url (or DATABASE_URL) is required"))
	}
	if c.DemoCaseload && !c.Dev {
		errs = append(errs, errors.New("--demo-caseload needs --dev: it is demo data"))
	}
	if c.StatsK != 0 && c.StatsK < 2 {
		errs = append(errs, errors.New("--stats-k must be at least 2: a smaller threshold would publish single cases"))
	}
	if _, err := c.ReflectionEnabled(); err != nil {
		errs = append(errs, err)
	}
	if err := tracing.CheckEndpoint(c.OTLPEndpoint); err != nil {
		errs = append(errs, err)
	}
	if err := c.Blobs.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.StatsPrivacy(); err != nil {
		errs = append(errs, fmt.Errorf("--stats-noise-epsilon, --stats-budget-*: %w", err))
	}
	if err := c.Digest.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Dev {
		for _, l := range []struct{ flag, addr string }{
			{"--listen", c.Listen}, {"--http-listen", c.HTTPListen}, {"--admin-listen", c.AdminListen},
		} {
			if err := loopbackOnly(l.flag, l.addr); err != nil {
				errs = append(errs, err)
			}
		}
		if c.DataDir == "" {
			errs = append(errs, errors.New("--data-dir is required in dev mode"))
		}
		if c.Issuer != "" && c.JWKSFile == "" && c.JWKSURL == "" {
			errs = append(errs, errors.New("--jwt-issuer in dev mode needs --jwks-file or --jwks-url"))
		}
		if c.KeyringDir == "" {
			c.KeyringDir = filepath.Join(c.DataDir, "keys")
		}
		return errors.Join(errs...)
	}
	if c.Issuer == "" || (c.JWKSFile == "" && c.JWKSURL == "") {
		errs = append(errs, errors.New("token issuer configuration is required outside dev mode: --jwt-issuer and --jwks-file or --jwks-url"))
	}
	if c.JWKSFile != "" && c.JWKSURL != "" {
		errs = append(errs, errors.New("give --jwks-file or --jwks-url, not both"))
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		errs = append(errs, errors.New("TLS is required outside dev mode: --tls-cert and --tls-key"))
	}
	if c.KeyringDir == "" {
		errs = append(errs, errors.New("--keyring-dir is required outside dev mode (the organisation keys, a mounted secret)"))
	}
	return errors.Join(errs...)
}

// loopbackOnly refuses a dev-mode listen address (of flag) reachable from
// another machine: dev mode serves plaintext and mints tokens for anyone
// who asks, and its admin listener serves profiles and metrics without a
// token. An empty address is a listener that is off, or the caller's own
// (tests).
func loopbackOnly(flag, listen string) error {
	if listen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%s %q: %w", flag, listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s %s: dev mode listens on loopback only (127.0.0.1, ::1 or localhost), "+
		"because it serves without TLS and its tokens are minted for anyone on the machine; "+
		"run outside dev mode (TLS and a token issuer) to serve other machines", flag, listen)
}

// StatsPrivacy is the noisy statistics' configuration; fields left empty
// take the defaults.
func (c *Config) StatsPrivacy() (stats.Privacy, error) {
	d := stats.DefaultPrivacy()
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	return stats.ParsePrivacy(or(c.StatsNoiseEpsilon, d.QueryEpsilon.String()), or(c.StatsBudgetPopulation, d.Population.String()), or(c.StatsBudgetNetwork, d.Network.String()),
		or(c.StatsBudgetCoordinator, d.Coordinator.String()), or(c.StatsBudgetPeriod, d.Period.String()))
}

// ReflectionEnabled says whether the server registers gRPC reflection:
// "on" or "off" as given, "auto" (the default) only in dev mode.
func (c *Config) ReflectionEnabled() (bool, error) {
	switch c.Reflection {
	case "", "auto":
		return c.Dev, nil
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("--reflection %q: want auto, on or off", c.Reflection)
}
