package authz

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func TestEffectiveRoles(t *testing.T) {
	shelter := casebridgev1.OrganizationKind_ORGANIZATION_KIND_SHELTER
	for _, tc := range []struct {
		kind        casebridgev1.OrganizationKind
		roles, want []string
	}{
		{CoordinatingBody, []string{RoleAuditor, RoleOrgAdmin}, []string{RoleAuditor, RoleOrgAdmin}},
		{shelter, []string{RoleCaseworker, RoleOrgAdmin}, []string{RoleCaseworker, RoleOrgAdmin}},
		{shelter, []string{RoleOrgAdmin, RoleAuditor, RoleCoordinator, RoleNetworkAdmin}, []string{RoleOrgAdmin}},
		{shelter, []string{RoleAuditor}, []string{}},
		{casebridgev1.OrganizationKind_ORGANIZATION_KIND_UNSPECIFIED, []string{RoleCoordinator}, []string{}},
	} {
		if got := EffectiveRoles(tc.kind, tc.roles); !slices.Equal(got, tc.want) {
			t.Errorf("EffectiveRoles(%v, %v) = %v, want %v", tc.kind, tc.roles, got, tc.want)
		}
	}
	for _, r := range OrganizationRoles {
		if IsNetworkRole(r) || GrantObject(r) != ObjOrgRole {
			t.Errorf("%s is an organisation role", r)
		}
	}
	for _, r := range NetworkRoles {
		if !IsNetworkRole(r) || GrantObject(r) != ObjNetworkRole {
			t.Errorf("%s is a network role", r)
		}
	}
	// Every API role has a name here, and back.
	for v, name := range casebridgev1.Role_name {
		r := casebridgev1.Role(v)
		if r == casebridgev1.Role_ROLE_UNSPECIFIED {
			continue
		}
		n := RoleName(r)
		if RoleFromName(n) != r || !slices.Contains(append(slices.Clone(OrganizationRoles), NetworkRoles...), n) {
			t.Errorf("API role %s: name %q is not one of the roles", name, n)
		}
	}
}

// A network role in the memberships table of an ordinary organisation is
// not resolved at all, and counts once the organisation becomes a
// coordinating body — through the notification of the kind change, not a
// TTL (set far beyond the deadline).
func TestNetworkRolesResolveOnlyInACoordinatingBody(t *testing.T) {
	pool := testdb.New(t)
	addOrgs(t, pool, "shelter-a", "cso-c")
	exec(t, pool, `INSERT INTO organizations (id, display_name, kind) VALUES ('network', 'network', 6)`)
	addMember(t, pool, "shelter-a", "alice", RoleOrgAdmin, RoleAuditor)
	addMember(t, pool, "cso-c", "alice", RoleCoordinator)
	addMember(t, pool, "network", "alice", RoleAuditor)
	m := startMembers(t, pool, MembersOptions{FallbackTTL: time.Minute, MaxAge: time.Hour})
	e := defaultEngine(t)

	p := principal(t, m, "alice")
	want := map[string][]string{"shelter-a": {RoleOrgAdmin}, "network": {RoleAuditor}}
	if !maps.EqualFunc(p.Memberships, want, slices.Equal) {
		t.Fatalf("alice: %v, want %v", p.Memberships, want)
	}
	if e.Allowed(p, "shelter-a", "audit", "read") || !e.Allowed(p, "network", "audit", "read") {
		t.Fatal("the auditor role counts in the shelter, or not in the coordinating body")
	}
	if e.AllowedAnywhere(p, "stats", "read") {
		t.Fatal("a coordinator role in a CSO allows statistics")
	}
	exec(t, pool, `UPDATE organizations SET kind = 6 WHERE id = 'cso-c'`)
	waitFor(t, 5*time.Second, "coordinator counts after the kind change", func() bool {
		return e.AllowedAnywhere(principal(t, m, "alice"), "stats", "read")
	})
}
