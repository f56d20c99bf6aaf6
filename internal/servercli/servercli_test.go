package servercli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(IO{Ctx: context.Background(), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// TestDevModeOnlyFromTheCommandLine: CASEBRIDGE_DEV=true does not turn dev
// mode on; the server asks for TLS and a token issuer instead.
func TestDevModeOnlyFromTheCommandLine(t *testing.T) {
	t.Setenv("CASEBRIDGE_DEV", "true")
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	code, _, stderr := run(t, "--data-dir", t.TempDir())
	if code != exitFailed || !strings.Contains(stderr, "TLS is required outside dev mode") {
		t.Fatalf("exit %d, stderr %q: want the production checks, dev mode was turned on by the environment", code, stderr)
	}
	_, help, _ := run(t, "--help")
	if !strings.Contains(help, "NEVER in production (command line only)") || strings.Contains(help, "CASEBRIDGE_DEV") {
		t.Errorf("--help does not say --dev is command line only:\n%s", help)
	}
}

// TestDevModeListensOnLoopbackOnly: a dev server refuses any listen
// address another machine could reach, before touching the database.
func TestDevModeListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:7443", ":7443", "[::]:7443", "192.0.2.10:7443", "example.org:7443"} {
		code, _, stderr := run(t, "--dev", "--data-dir", t.TempDir(), "--listen", addr,
			"--database-url", "postgres://nobody@127.0.0.1:1/none")
		if code != exitFailed || !strings.Contains(stderr, "dev mode listens on loopback only") {
			t.Errorf("--listen %s: exit %d, stderr %q", addr, code, stderr)
		}
	}
}

// TestDevModeAdminListensOnLoopbackOnly: the admin listener (metrics,
// pprof, plaintext health: no token) is held to loopback in dev mode too;
// turning it off is allowed.
func TestDevModeAdminListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9090", ":9090", "[::]:9090", "192.0.2.10:9090", "example.org:9090"} {
		code, _, stderr := run(t, "--dev", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", addr,
			"--database-url", "postgres://nobody@127.0.0.1:1/none")
		if code != exitFailed || !strings.Contains(stderr, "--admin-listen "+addr+": dev mode listens on loopback only") {
			t.Errorf("--admin-listen %s: exit %d, stderr %q", addr, code, stderr)
		}
	}
	for _, addr := range []string{"", "127.0.0.1:9090", "[::1]:9090", "localhost:9090"} {
		_, _, stderr := run(t, "--dev", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen="+addr,
			"--database-url", "postgres://nobody@127.0.0.1:1/none")
		if strings.Contains(stderr, "loopback only") {
			t.Errorf("--admin-listen %q is refused: %s", addr, stderr)
		}
	}
}

// TestMistypedCommandIsRefused: "migarte" is not served as "serve".
func TestMistypedCommandIsRefused(t *testing.T) {
	code, _, stderr := run(t, "migarte", "--listen", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(stderr, `unknown command "migarte"`) || !strings.Contains(stderr, "Did you mean this?\n\tmigrate") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "--listne", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(stderr, "unknown flag: --listne") {
		t.Fatalf("unknown flag: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "migrate", "--listen", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(stderr, "unknown flag: --listen") {
		t.Fatalf("serve's flag on migrate: exit %d, stderr %q", code, stderr)
	}
}

// TestHelpAndVersion: help lists the sub-commands, and neither help nor
// version reports serve's configuration errors.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}} {
		code, stdout, stderr := run(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, sub := range []string{"serve", "migrate", "dev-token", "bootstrap", "backup", "restore", "recover", "version", "completion"} {
			if !strings.Contains(stdout, "\n  "+sub+" ") {
				t.Errorf("%v does not list %s:\n%s", args, sub, stdout)
			}
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := run(t, args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "casebridged ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := run(t, "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "casebridged") {
		t.Errorf("completion bash: exit %d", code)
	}
}
