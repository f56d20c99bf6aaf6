package casectl

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
)

// TestApprovalSettingsFlags: 'approvals settings set' hands on only the
// settings typed (false included), and refuses to change nothing.
func TestApprovalSettingsFlags(t *testing.T) {
	for _, tc := range []struct {
		args            []string
		plans, closures string // "": not to change
		usage           bool
	}{
		{args: []string{"set", "--plans"}, plans: "true"},
		{args: []string{"set", "--closures=false", "--org", "shelter-a"}, closures: "false"},
		{args: []string{"set", "--plans=false", "--closures"}, plans: "false", closures: "true"},
		{args: []string{"set"}, usage: true},
		{args: []string{"show"}},
	} {
		var got *approvalSettingsOptions
		var stderr bytes.Buffer
		a := newApp(Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now})
		cmd := a.approvalSettingsCommand(func(_ context.Context, o *approvalSettingsOptions) error {
			got = o
			return nil
		})
		prog := &cli.Program{Root: cmd, Globals: a.globals.register, Stdout: &bytes.Buffer{}, Stderr: &stderr}
		err := prog.Execute(context.Background(), tc.args)
		if tc.usage {
			if explain.ExitCode(err) != explain.Usage || got != nil {
				t.Errorf("%v: %v (ran: %v), want a usage error", tc.args, err, got != nil)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		show := func(b *bool) string {
			if b == nil {
				return ""
			}
			if *b {
				return "true"
			}
			return "false"
		}
		if show(got.plans) != tc.plans || show(got.closures) != tc.closures {
			t.Errorf("%v: plans %q closures %q, want %q %q", tc.args, show(got.plans), show(got.closures), tc.plans, tc.closures)
		}
		if strings.Contains(strings.Join(tc.args, " "), "--org shelter-a") && got.org != "shelter-a" {
			t.Errorf("%v: org %q", tc.args, got.org)
		}
	}
}

// TestApprovalSettingsCommands: a caseworker sees that nothing needs
// approval and cannot change it; the org admin requires approval of
// support plans, after which the caseworker's plan cannot be made active
// without one; once the admin lifts it again, it can.
func TestApprovalSettingsCommands(t *testing.T) {
	s := newSession(t)
	caseID := s.server.NewMarkedCase(t)
	s.login("caseworker@shelter-a")
	o := s.run("", false, "approvals", "settings", "show")
	if o.code != 0 || !strings.Contains(o.stdout, "shelter-a") || strings.Contains(o.stdout, "yes") {
		t.Fatalf("settings show: %+v", o)
	}
	if o := s.run("", false, "approvals", "settings", "set", "--plans"); o.code != 1 || !strings.Contains(o.stderr, "does not allow") {
		t.Fatalf("a caseworker changing the settings: %+v", o)
	}
	if o := s.run("", false, "plan", "new", caseID, "--summary", "Marker-needs housing"); o.code != 0 {
		t.Fatalf("plan new: %+v", o)
	}

	s.login("admin@shelter-a")
	o = s.run("", false, "approvals", "settings", "set", "--plans", "--output", "json")
	if o.code != 0 || !strings.Contains(o.stdout, `"supportPlans": true`) || strings.Contains(o.stdout, "caseClosures") {
		t.Fatalf("settings set --plans: %+v", o)
	}

	s.login("caseworker@shelter-a")
	if o := s.run("", false, "approvals", "settings", "show"); o.code != 0 || strings.Count(o.stdout, "yes") != 1 {
		t.Fatalf("settings show after the change: %+v", o)
	}
	if o := s.run("", false, "plan", "status", caseID, "active"); o.code != 1 || !strings.Contains(o.stderr, "approv") {
		t.Fatalf("activating a plan that needs approval: %+v", o)
	}

	s.login("admin@shelter-a")
	if o := s.run("", false, "approvals", "settings", "set", "--plans=false"); o.code != 0 || strings.Contains(o.stdout, "yes") {
		t.Fatalf("settings set --plans=false: %+v", o)
	}
	s.login("caseworker@shelter-a")
	if o := s.run("", false, "plan", "status", caseID, "active"); o.code != 0 || !strings.Contains(o.stdout, "active") {
		t.Fatalf("activating the plan without approval required: %+v", o)
	}
}
