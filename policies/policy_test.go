package policies_test

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/policies"
)

// roles are the roles a member can hold (casebridge.v1.Role, lower case):
// the organisation roles, then the network roles.
var roles = append(slices.Clone(authz.OrganizationRoles), authz.NetworkRoles...)

func perms(s ...string) []string { return s }

var (
	everyMember = perms("self:read", "self:revoke", "directory:read")
	classesRW   = func(classes ...string) []string {
		var out []string
		for _, c := range classes {
			out = append(out, c+":read", c+":write")
		}
		return out
	}
	caseworker = slices.Concat(everyMember,
		perms("case:create", "case:read", "case:update", "case:import",
			"note:create", "note:read",
			"consent:create", "consent:read", "consent:withdraw",
			"referral:create", "referral:read", "referral:withdraw", "referral:revoke", "referral:respond", "referral:complete",
			"transfer:read", "transfer:respond",
			"proceeding:read", "claim:read",
			"support_plan:create", "support_plan:read", "support_plan:update",
			"support_service:create", "support_service:read", "support_service:update",
			"approval:request", "approval:read",
			"document:create", "document:read", "document:delete",
			"task:create", "task:read", "task:update"),
		classesRW("identity", "contact", "care", "legal"))
)

// want is the permission matrix this policy must implement: for each role,
// every object:action it allows (in any organisation where it is held).
// Anything not listed is denied. A change to policy.csv that changes what a
// role may do must change this table too, and README.md with it.
var want = map[string][]string{
	"caseworker": caseworker,
	"supervisor": slices.Concat(caseworker, perms("case:close", "case:reopen", "case:assign", "case:erase", "approval:decide",
		"transfer:propose", "transfer:cancel")),
	"lawyer": slices.Concat(everyMember,
		perms("case:read",
			"referral:read", "referral:respond", "referral:complete",
			"proceeding:create", "proceeding:read", "proceeding:update",
			"hearing:create", "hearing:read", "hearing:update",
			"deadline:create", "deadline:read", "deadline:update",
			"claim:create", "claim:read", "claim:update",
			"payment:create", "payment:read",
			"document:create", "document:read"),
		classesRW("identity", "contact", "legal")),
	"coordinator": slices.Concat(everyMember, perms("stats:read", "stats:export")),
	"org_admin": slices.Concat(everyMember,
		perms("organization:update",
			"member:create", "member:read", "member:update", "member:delete", "org_role:grant",
			"key:read", "key:rotate")),
	"auditor": slices.Concat(everyMember, perms("audit:read", "audit:verify")),
	"network_admin": slices.Concat(everyMember,
		perms("organization:create", "organization:update",
			"member:create", "member:read", "member:update", "member:delete", "network_role:grant")),
}

// wantReadable is what each role may read of a case of its own organisation.
var wantReadable = map[string][]dataclass.Class{
	"caseworker":    {"identity", "contact", "care", "legal"},
	"supervisor":    {"identity", "contact", "care", "legal"},
	"lawyer":        {"identity", "contact", "legal"},
	"coordinator":   nil,
	"org_admin":     nil,
	"auditor":       nil,
	"network_admin": nil,
}

func engine(t *testing.T) *authz.Engine {
	t.Helper()
	e, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		t.Fatalf("embedded policy does not load: %v", err)
	}
	return e
}

// universe is every object:action named anywhere: in policy.csv, in
// methods.csv, in the expected matrix, and the data classes.
func universe(t *testing.T, e *authz.Engine) []string {
	t.Helper()
	set := map[string]bool{}
	b, err := fs.ReadFile(policies.Files(), policies.PolicyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) == 5 && strings.TrimSpace(f[0]) == "p" {
			set[strings.TrimSpace(f[3])+":"+strings.TrimSpace(f[4])] = true
		}
	}
	for _, p := range e.Methods() {
		set[p.String()] = true
	}
	for _, ps := range want {
		for _, p := range ps {
			set[p] = true
		}
	}
	for _, c := range dataclass.All {
		set[string(c)+":read"], set[string(c)+":write"] = true, true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func TestPermissionMatrix(t *testing.T) {
	e := engine(t)
	for _, role := range roles {
		p := authz.Principal{Subject: "u-" + role, Memberships: map[string][]string{"own-org": {role}}}
		for _, perm := range universe(t, e) {
			obj, act, _ := strings.Cut(perm, ":")
			expected := slices.Contains(want[role], perm)
			t.Run(fmt.Sprintf("%s/%s", role, perm), func(t *testing.T) {
				if got := e.Allowed(p, "own-org", obj, act); got != expected {
					t.Errorf("own org: Allowed = %v, want %v", got, expected)
				}
				if got := e.AllowedAnywhere(p, obj, act); got != expected {
					t.Errorf("AllowedAnywhere = %v, want %v", got, expected)
				}
				if e.Allowed(p, "other-org", obj, act) {
					t.Errorf("other org: allowed, but the role is not held there")
				}
			})
		}
	}
}

func TestEveryPermissionIsHeldByARoleAndDocumented(t *testing.T) {
	e := engine(t)
	for _, perm := range universe(t, e) {
		held := false
		for _, r := range roles {
			held = held || slices.Contains(want[r], perm)
		}
		if !held {
			t.Errorf("%s is named in the policy but no role holds it", perm)
		}
	}
}

func TestReadableClasses(t *testing.T) {
	e := engine(t)
	for _, role := range roles {
		p := authz.Principal{Subject: "u", Memberships: map[string][]string{"own-org": {role}}}
		if got := e.ReadableClasses(p, "own-org"); !slices.Equal(got, wantReadable[role]) {
			t.Errorf("%s: ReadableClasses(own org) = %v, want %v", role, got, wantReadable[role])
		}
		if got := e.ReadableClasses(p, "other-org"); len(got) != 0 {
			t.Errorf("%s: ReadableClasses(other org) = %v, want none", role, got)
		}
	}
}

func TestRolesAddUpWithinAnOrganisationOnly(t *testing.T) {
	e := engine(t)
	p := authz.Principal{Subject: "u", Memberships: map[string][]string{
		"shelter":   {"org_admin", "caseworker"},
		"legal-aid": {"lawyer"},
	}}
	checks := []struct {
		org, obj, act string
		want          bool
	}{
		{"shelter", "member", "create", true},
		{"shelter", "case", "create", true},
		{"shelter", "care", "read", true},
		{"legal-aid", "care", "read", false},
		{"legal-aid", "case", "create", false},
		{"legal-aid", "proceeding", "create", true},
		{"shelter", "proceeding", "create", false},
		{"legal-aid", "member", "create", false},
	}
	for _, c := range checks {
		if got := e.Allowed(p, c.org, c.obj, c.act); got != c.want {
			t.Errorf("Allowed(%s, %s:%s) = %v, want %v", c.org, c.obj, c.act, got, c.want)
		}
	}
}

func TestReferralCeilingIsNotARole(t *testing.T) {
	e := engine(t)
	p := authz.Principal{Subject: "u", Memberships: map[string][]string{"org": {authz.ReferralCeiling, authz.FollowUpCeiling, "unknown-role"}}}
	for _, perm := range universe(t, e) {
		obj, act, _ := strings.Cut(perm, ":")
		if e.Allowed(p, "org", obj, act) {
			t.Errorf("a membership naming %q, %q or an unknown role grants %s", authz.ReferralCeiling, authz.FollowUpCeiling, perm)
		}
	}
}
