// Package compose validates the pilot's compose file statically: the
// compose-spec schema (through compose-go, the library Docker Compose itself
// uses) and Casebridge's own rules for how the server is run.
package compose

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// ServerImageVar names the variable that chooses the server image; the rules
// below apply to every service that runs it.
const ServerImageVar = "CASEBRIDGE_IMAGE"

// DefaultServerImage is the image the compose file runs when ServerImageVar
// is unset (what make image tags).
const DefaultServerImage = "casebridge/casebridged:dev"

// WebImageVar and DefaultWebImage are the same for the web client.
const (
	WebImageVar     = "CASEBRIDGE_WEB_IMAGE"
	DefaultWebImage = "casebridge/casebridge-web:dev"
)

// Load parses and validates path against the compose specification with env
// as the environment for interpolation.
func Load(ctx context.Context, path string, env map[string]string) (*types.Project, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	p, err := loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("casebridge", true)
		o.ResolvePaths = true
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Check loads path and applies the deployment rules: the server's services
// run as a non-root user on a read-only root filesystem without capabilities;
// the migration connects as the schema owner and the server as its own login
// role; no password is in the environment; PostgreSQL sits on an internal
// network only; the keyring is mounted where the server looks for it. The
// web client runs as hardened as the server, off the database network and
// without database settings (it holds no connection and no key), reaches
// the server with TLS under a CA it is given, and reads its session keys
// from a secret.
func Check(ctx context.Context, path string, env map[string]string) error {
	p, err := Load(ctx, path, env)
	if err != nil {
		return err
	}
	var errs []error
	bad := func(svc, format string, args ...any) {
		errs = append(errs, fmt.Errorf("service %s: %s", svc, fmt.Sprintf(format, args...)))
	}
	serverImage := env[ServerImageVar]
	if serverImage == "" {
		serverImage = DefaultServerImage
	}
	webImage := env[WebImageVar]
	if webImage == "" {
		webImage = DefaultWebImage
	}
	dbNets := map[string]bool{}
	if pg, ok := p.Services["postgres"]; ok {
		for net := range pg.Networks {
			dbNets[net] = true
		}
	}
	roles := map[string]string{}
	servers, webs := 0, 0
	for name, s := range p.Services {
		for k, v := range s.Environment {
			if v == nil {
				continue
			}
			up := strings.ToUpper(k)
			if up == "PGPASSWORD" || strings.Contains(up, "PASSWORD") && !strings.HasSuffix(up, "_FILE") {
				bad(name, "%s puts a password in the environment; use a secret file", k)
			}
			if u, err := url.Parse(*v); err == nil && u.User != nil {
				if _, has := u.User.Password(); has {
					bad(name, "%s carries a password in its URL", k)
				}
			}
		}
		if s.Image == webImage {
			webs++
			hardened(s, bad)
			checkWeb(s, dbNets, bad)
			continue
		}
		if s.Image != serverImage {
			continue
		}
		servers++
		hardened(s, bad)
		role := ""
		if u, err := url.Parse(value(s.Environment, "DATABASE_URL")); err == nil && u.User != nil {
			role = u.User.Username()
		}
		roles[strings.Join(s.Command, " ")] = role
		if strings.Join(s.Command, " ") == "serve" {
			dir := value(s.Environment, "CASEBRIDGE_KEYRING_DIR")
			if dir == "" || !mounted(s, dir) {
				bad(name, "the keyring directory %q is not a mounted volume", dir)
			}
			if s.Restart == "" || s.Restart == "no" {
				bad(name, "is not restarted")
			}
		}
	}
	if servers == 0 {
		errs = append(errs, fmt.Errorf("no service runs the server image %s", serverImage))
	}
	if webs == 0 {
		errs = append(errs, fmt.Errorf("no service runs the web client image %s", webImage))
	}
	if roles["migrate"] != "casebridge_owner" {
		errs = append(errs, fmt.Errorf("the migration must connect as the schema owner casebridge_owner, not %q", roles["migrate"]))
	}
	if r := roles["serve"]; r == "" || r == "casebridge_owner" || r == "postgres" {
		errs = append(errs, fmt.Errorf("the server must connect as its own login role in casebridge_app, not %q", r))
	}
	if pg, ok := p.Services["postgres"]; ok {
		if len(pg.Ports) > 0 {
			bad("postgres", "publishes ports; PostgreSQL must be reachable only by the migration and the server")
		}
		for net := range pg.Networks {
			if !p.Networks[net].Internal {
				bad("postgres", "is on network %s, which is not internal", net)
			}
		}
	} else {
		errs = append(errs, errors.New("no postgres service"))
	}
	return errors.Join(errs...)
}

// hardened: a non-root user, a read-only root filesystem, no capabilities,
// no privilege gained.
func hardened(s types.ServiceConfig, bad func(svc, format string, args ...any)) {
	if s.User == "" || strings.HasPrefix(s.User, "0") || strings.HasPrefix(s.User, "root") {
		bad(s.Name, "runs as %q, want a non-root user", s.User)
	}
	if !s.ReadOnly {
		bad(s.Name, "root filesystem is writable, want read_only: true")
	}
	if !contains(s.CapDrop, "ALL") {
		bad(s.Name, "keeps Linux capabilities, want cap_drop: [ALL]")
	}
	if !contains(s.SecurityOpt, "no-new-privileges:true") {
		bad(s.Name, "may gain privileges, want security_opt: no-new-privileges:true")
	}
}

// checkWeb holds the web client to what it is: a client of the API over
// TLS, with sessions sealed by keys from a secret, and nothing of the
// database's.
func checkWeb(s types.ServiceConfig, dbNets map[string]bool, bad func(svc, format string, args ...any)) {
	for k := range s.Environment {
		if k == "DATABASE_URL" || strings.HasPrefix(k, "PG") {
			bad(s.Name, "has %s: the web client holds no database connection", k)
		}
	}
	for net := range s.Networks {
		if dbNets[net] {
			bad(s.Name, "is on the database network %s", net)
		}
	}
	flags := map[string]string{}
	for _, a := range s.Command {
		k, v, _ := strings.Cut(a, "=")
		flags[k] = v
	}
	for _, f := range []string{"--dev", "--api-insecure"} {
		if _, ok := flags[f]; ok {
			bad(s.Name, "runs with %s, which is for a laptop only", f)
		}
	}
	if flags["--api-ca"] == "" {
		bad(s.Name, "reaches the server without --api-ca: it must verify the server's certificate")
	}
	if flags["--tls-cert"] == "" || flags["--tls-key"] == "" {
		bad(s.Name, "serves the pages without --tls-cert and --tls-key")
	}
	keys := flags["--session-key-file"]
	fromSecret := false
	for _, sec := range s.Secrets {
		target := sec.Target
		if target == "" {
			target = sec.Source
		}
		if !strings.HasPrefix(target, "/") {
			target = "/run/secrets/" + target
		}
		if keys != "" && target == keys {
			fromSecret = true
		}
	}
	if !fromSecret {
		bad(s.Name, "--session-key-file %q is not a secret: every replica needs the same keys, and no one else", keys)
	}
	if s.Restart == "" || s.Restart == "no" {
		bad(s.Name, "is not restarted")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func value(env types.MappingWithEquals, key string) string {
	if v := env[key]; v != nil {
		return *v
	}
	return ""
}

func mounted(s types.ServiceConfig, dir string) bool {
	for _, v := range s.Volumes {
		if v.Target == dir && !v.ReadOnly {
			return true
		}
	}
	return false
}
