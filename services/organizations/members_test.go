package organizations_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRemovedMemberLosesAccessWithinSeconds: a removed caseworker's still
// valid token stops opening cases on the running server within 5 s.
func TestRemovedMemberLosesAccessWithinSeconds(t *testing.T) {
	env := servertest.Start(t)
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	if _, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
		Subject: "leaving@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}}); err != nil {
		t.Fatal(err)
	}
	leaving := env.As(t, "leaving@shelter-a")
	created, err := env.Cases().CreateCase(leaving, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}})
	if err != nil {
		t.Fatalf("a new member works at once: %v", err)
	}
	id := created.GetCase().GetId()
	if _, err := orgs.RemoveMember(admin, &casebridgev1.RemoveMemberRequest{OrganizationId: "shelter-a", Subject: "leaving@shelter-a"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := env.Cases().GetCase(leaving, &casebridgev1.GetCaseRequest{Id: id})
		if status.Code(err) == codes.PermissionDenied {
			t.Logf("access gone %v after removal", time.Since(start))
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("removed member still reads the case after 5 s (last: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms, err := orgs.ListMembers(admin, &casebridgev1.ListMembersRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.GetMembers() {
		if m.GetSubject() == "leaving@shelter-a" {
			t.Fatal("removed member still listed")
		}
	}
}

// TestMembershipRules: roles change, duplicates and the last admin.
func TestMembershipRules(t *testing.T) {
	env := servertest.Start(t)
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	_, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
		Subject: "caseworker@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}})
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("duplicate member: want AlreadyExists, got %v", err)
	}
	_, err = orgs.RemoveMember(admin, &casebridgev1.RemoveMemberRequest{OrganizationId: "shelter-a", Subject: "admin@shelter-a"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("removing the last admin: want FailedPrecondition, got %v", err)
	}
	_, err = orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
		Subject: "admin@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("demoting the last admin: want FailedPrecondition, got %v", err)
	}
	// Promotion takes effect on the next call.
	if _, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
		Subject: "caseworker@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_SUPERVISOR}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		me, err := orgs.GetCallerIdentity(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{})
		if err == nil && me.GetMemberships()[0].GetRoles()[0] == casebridgev1.Role_ROLE_SUPERVISOR {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("role change not visible after 5 s: %v %v", me, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		name  string
		req   *casebridgev1.AddMemberRequest
		field string
	}{
		{"no roles", &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Subject: "x@y"}, "roles"},
		{"unspecified role", &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Subject: "x@y", Roles: []casebridgev1.Role{0}}, "roles[0]"},
		{"no subject", &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Roles: []casebridgev1.Role{1}}, "subject"},
	} {
		_, err := orgs.AddMember(admin, tc.req)
		st, _ := status.FromError(err)
		if st.Code() != codes.InvalidArgument {
			t.Errorf("%s: want InvalidArgument, got %v", tc.name, err)
		}
	}
	netAdmin := env.As(t, "admin@network")
	_, err = orgs.CreateOrganization(netAdmin, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "Bad Id", DisplayName: "x", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_CSO}, AdminSubject: "a@d"})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad organisation id: %v", err)
	}
	_, err = orgs.CreateOrganization(netAdmin, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "shelter-d", DisplayName: "Shelter D", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_SHELTER}})
	if st, _ := status.FromError(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "admin_subject") {
		t.Fatalf("no first admin: want InvalidArgument naming admin_subject, got %v", err)
	}
	created, err := orgs.CreateOrganization(netAdmin, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "shelter-d", DisplayName: "Shelter D", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_SHELTER, CountryCode: "AL"},
		AdminSubject: "admin@shelter-d"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := orgs.ListKeys(env.As(t, "admin@shelter-d"), &casebridgev1.ListKeysRequest{OrganizationId: created.GetOrganization().GetId()})
	if err != nil || len(keys.GetKeys()) != 1 || keys.GetKeys()[0].GetState() != casebridgev1.KeyState_KEY_STATE_ACTIVE {
		t.Fatalf("a new organisation gets one active key: %v %v", keys, err)
	}
}
