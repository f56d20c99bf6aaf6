package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pilot = "../../deploy/compose/compose.yaml"

func env() map[string]string {
	return map[string]string{"CASEBRIDGE_JWT_ISSUER": "https://id.example.org", ServerImageVar: "casebridge/casebridged:dev"}
}

func TestPilotComposeFileIsValid(t *testing.T) {
	if err := Check(context.Background(), pilot, env()); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), pilot, env())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"postgres", "migrate", "casebridged", "casebridge-web"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no service %s", want)
		}
	}
	if dep := p.Services["casebridged"].DependsOn["migrate"]; dep.Condition != "service_completed_successfully" {
		t.Errorf("the server starts before the migration has finished: %+v", dep)
	}
	web := p.Services["casebridge-web"]
	if _, ok := web.DependsOn["casebridged"]; !ok {
		t.Errorf("the web client does not wait for the server: %+v", web.DependsOn)
	}
	if !contains(web.Command, "--api=casebridged:7443") {
		t.Errorf("the web client does not reach the server's gRPC port: %q", web.Command)
	}
}

func TestPilotNeedsTheTokenIssuer(t *testing.T) {
	e := env()
	delete(e, "CASEBRIDGE_JWT_ISSUER")
	if err := Check(context.Background(), pilot, e); err == nil || !strings.Contains(err.Error(), "CASEBRIDGE_JWT_ISSUER") {
		t.Fatalf("err = %v, want the missing issuer named", err)
	}
}

// variant writes the pilot file with one textual change next to the
// original (relative paths keep resolving) and checks it.
func variant(t *testing.T, old, new string) error {
	t.Helper()
	src, err := os.ReadFile(pilot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("%q not in the compose file", old)
	}
	path := filepath.Join(t.TempDir(), "compose.yaml")
	body := strings.Replace(string(src), old, new, 1)
	abs, _ := filepath.Abs(filepath.Dir(pilot))
	body = strings.ReplaceAll(body, "./", abs+"/")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return Check(context.Background(), path, env())
}

func TestCheckRejectsBrokenOrUnsafeCompose(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"unknown key", "    read_only: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    stop_grace_period", "    read_onyl: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    stop_grace_period", "read_onyl"},
		{"server as owner", "postgres://casebridge_server@", "postgres://casebridge_owner@", "own login role"},
		{"migration as server", "postgres://casebridge_owner@", "postgres://casebridge_server@", "schema owner"},
		{"password in URL", "postgres://casebridge_server@", "postgres://casebridge_server:hunter2@", "password in its URL"},
		{"root user", "    user: \"65532:65532\"\n    read_only: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    stop_grace_period", "    user: \"0:0\"\n    read_only: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    stop_grace_period", "non-root"},
		{"postgres on a routed network", "  db:\n    internal: true", "  db:\n    internal: false", "not internal"},
		{"keyring not mounted", "target: /var/lib/casebridge/keyring", "target: /var/lib/casebridge/other", "keyring"},
		{"web on the database network", "    networks: [api]\n    user", "    networks: [api, db]\n    user", "database network"},
		{"web without TLS to the server", "      - --api-ca=/run/secrets/api-ca\n", "      - --api-insecure\n", "--api-insecure"},
		{"web session keys not a secret", "--session-key-file=/run/secrets/web-session-keys", "--session-key-file=/tmp/keys", "not a secret"},
		{"web with a database URL", "    restart: unless-stopped\n    secrets: [web-tls-cert", "    restart: unless-stopped\n    environment:\n      DATABASE_URL: postgres://casebridge_server@postgres/casebridge\n    secrets: [web-tls-cert", "no database connection"},
		{"web writable", "    networks: [api]\n    user: \"65532:65532\"\n    read_only: true", "    networks: [api]\n    user: \"65532:65532\"\n    read_only: false", "casebridge-web: root filesystem is writable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := variant(t, c.old, c.new)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
