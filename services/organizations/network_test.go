package organizations_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	roleCaseworker   = casebridgev1.Role_ROLE_CASEWORKER
	roleOrgAdmin     = casebridgev1.Role_ROLE_ORG_ADMIN
	roleAuditor      = casebridgev1.Role_ROLE_AUDITOR
	roleCoordinator  = casebridgev1.Role_ROLE_COORDINATOR
	roleNetworkAdmin = casebridgev1.Role_ROLE_NETWORK_ADMIN
)

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("%s: got %v (%v), want %v", what, got, err, want)
	}
}

func listEvents(env *servertest.Env, ctx context.Context) error {
	_, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(ctx, &casebridgev1.ListEventsRequest{PageSize: 1})
	return err
}

func countCases(env *servertest.Env, ctx context.Context) error {
	_, err := casebridgev1.NewStatsServiceClient(env.Conn).CountCases(ctx, &casebridgev1.CountCasesRequest{})
	return err
}

// TestOrgAdminCannotMakeItselfAuditorOrCoordinator: an organisation's admin
// grants organisation roles only. Giving itself (or anyone) auditor,
// coordinator or network admin is PermissionDenied, and it still reads no
// audit trail and no statistics afterwards.
func TestOrgAdminCannotMakeItselfAuditorOrCoordinator(t *testing.T) {
	env := servertest.Start(t)
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	for _, r := range []casebridgev1.Role{roleAuditor, roleCoordinator, roleNetworkAdmin} {
		_, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
			Subject: "admin@shelter-a", Roles: []casebridgev1.Role{roleOrgAdmin, r}})
		wantCode(t, "org_admin gives itself "+r.String(), err, codes.PermissionDenied)
		_, err = orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
			Subject: "friend@shelter-a", Roles: []casebridgev1.Role{r}})
		wantCode(t, "org_admin adds a member with "+r.String(), err, codes.PermissionDenied)
	}
	me, err := orgs.GetCallerIdentity(admin, &casebridgev1.GetCallerIdentityRequest{})
	if err != nil || len(me.GetMemberships()) != 1 || !slices.Equal(me.GetMemberships()[0].GetRoles(), []casebridgev1.Role{roleOrgAdmin}) {
		t.Fatalf("the admin's roles changed: %v %v", me, err)
	}
	wantCode(t, "org_admin lists audit events", listEvents(env, admin), codes.PermissionDenied)
	wantCode(t, "org_admin counts cases", countCases(env, admin), codes.PermissionDenied)

	// It still manages the organisation roles.
	if _, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
		Subject: "friend@shelter-a", Roles: []casebridgev1.Role{roleCaseworker}}); err != nil {
		t.Fatalf("org_admin adds a caseworker: %v", err)
	}
}

// TestOrgAdminCannotRegisterOrganizations: neither a new organisation nor a
// new kind for its own (a look-alike legal-aid organisation that a consent
// "to any legal-aid organisation" would cover) is an org admin's to make.
func TestOrgAdminCannotRegisterOrganizations(t *testing.T) {
	env := servertest.Start(t)
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	_, err := orgs.CreateOrganization(admin, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "legal-lookalike", DisplayName: "Legal Aid", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
		AdminSubject: "admin@shelter-a"})
	wantCode(t, "org_admin creates an organisation", err, codes.PermissionDenied)
	o, err := orgs.GetOrganization(admin, &casebridgev1.GetOrganizationRequest{Id: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = orgs.UpdateOrganization(admin, &casebridgev1.UpdateOrganizationRequest{
		Organization: &casebridgev1.Organization{Id: "shelter-a", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"kind"}}, Etag: o.GetOrganization().GetEtag()})
	wantCode(t, "org_admin changes its organisation's kind", err, codes.PermissionDenied)
	// Its profile is still its own.
	if _, err := orgs.UpdateOrganization(admin, &casebridgev1.UpdateOrganizationRequest{
		Organization: &casebridgev1.Organization{Id: "shelter-a", DisplayName: "Shelter A (Belgrade)"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}, Etag: o.GetOrganization().GetEtag()}); err != nil {
		t.Fatalf("org_admin renames its organisation: %v", err)
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM organizations WHERE id = 'legal-lookalike' OR (id = 'shelter-a' AND kind <> 1)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("an organisation was registered or reclassified: %d %v", n, err)
	}
}

// TestNetworkAdminRegistersOrganizationsAndGrantsNetworkRoles: the network
// admin of the coordinating body registers an organisation with its first
// admin, sets kinds, and makes auditors and coordinators there — and only
// there; it grants no organisation role.
func TestNetworkAdminRegistersOrganizationsAndGrantsNetworkRoles(t *testing.T) {
	env := servertest.Start(t)
	net := env.As(t, "admin@network")
	orgs := env.Organizations()
	created, err := orgs.CreateOrganization(net, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
		Id: "legal-e", DisplayName: "Legal Aid E", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID, CountryCode: "AL"},
		AdminSubject: "admin@legal-e"})
	if err != nil {
		t.Fatalf("network admin creates an organisation: %v", err)
	}
	ms, err := orgs.ListMembers(env.As(t, "admin@legal-e"), &casebridgev1.ListMembersRequest{OrganizationId: "legal-e"})
	if err != nil || len(ms.GetMembers()) != 1 || ms.GetMembers()[0].GetSubject() != "admin@legal-e" ||
		!slices.Equal(ms.GetMembers()[0].GetRoles(), []casebridgev1.Role{roleOrgAdmin}) {
		t.Fatalf("the named subject is the new organisation's only member, as org admin: %v %v", ms, err)
	}
	// The network admin is no member of what it registered.
	_, err = orgs.ListMembers(net, &casebridgev1.ListMembersRequest{OrganizationId: "legal-e"})
	wantCode(t, "network admin lists the new organisation's members", err, codes.PermissionDenied)
	if _, err := orgs.UpdateOrganization(net, &casebridgev1.UpdateOrganizationRequest{
		Organization: &casebridgev1.Organization{Id: "legal-e", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_CSO},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"kind"}}, Etag: created.GetOrganization().GetEtag()}); err != nil {
		t.Fatalf("network admin changes a kind: %v", err)
	}

	for subject, r := range map[string]casebridgev1.Role{"auditor-2@network": roleAuditor, "coordinator-2@network": roleCoordinator} {
		if _, err := orgs.AddMember(net, &casebridgev1.AddMemberRequest{OrganizationId: "network",
			Subject: subject, Roles: []casebridgev1.Role{r}}); err != nil {
			t.Fatalf("network admin grants %v: %v", r, err)
		}
	}
	if err := listEvents(env, env.As(t, "auditor-2@network")); err != nil {
		t.Fatalf("the new auditor reads the trail: %v", err)
	}
	if err := countCases(env, env.As(t, "coordinator-2@network")); status.Code(err) == codes.PermissionDenied {
		t.Fatalf("the new coordinator asks for figures: %v", err)
	}
	_, err = orgs.AddMember(net, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
		Subject: "auditor-3@shelter-a", Roles: []casebridgev1.Role{roleAuditor}})
	wantCode(t, "network admin grants auditor in a shelter", err, codes.PermissionDenied)
	// A network admin who is not also the coordinating body's org admin
	// grants no organisation role, even there.
	if _, err := orgs.AddMember(net, &casebridgev1.AddMemberRequest{OrganizationId: "network",
		Subject: "netadmin-2@network", Roles: []casebridgev1.Role{roleNetworkAdmin}}); err != nil {
		t.Fatalf("network admin makes another network admin: %v", err)
	}
	_, err = orgs.AddMember(env.As(t, "netadmin-2@network"), &casebridgev1.AddMemberRequest{OrganizationId: "network",
		Subject: "caseworker@network", Roles: []casebridgev1.Role{roleCaseworker}})
	wantCode(t, "network admin grants an organisation role", err, codes.PermissionDenied)
	// The last network admin cannot lose the role.
	if _, err := orgs.RemoveMember(net, &casebridgev1.RemoveMemberRequest{OrganizationId: "network", Subject: "netadmin-2@network"}); err != nil {
		t.Fatalf("removing the second network admin: %v", err)
	}
	_, err = orgs.UpdateMember(net, &casebridgev1.UpdateMemberRequest{OrganizationId: "network",
		Subject: "admin@network", Roles: []casebridgev1.Role{roleOrgAdmin}})
	wantCode(t, "the last network admin drops the role", err, codes.FailedPrecondition)
}

// TestNetworkRoleOutsideCoordinatingBodyGrantsNothing: an auditor role
// written straight into a shelter's memberships reads no audit trail, and
// an org admin holding it there sees only its organisation role. Once the
// organisation becomes a coordinating body the role counts, on the running
// server, without waiting for a cache to expire.
func TestNetworkRoleOutsideCoordinatingBodyGrantsNothing(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	if _, err := env.Pool.Exec(ctx, `INSERT INTO memberships (organization_id, subject, roles) VALUES
		('cso-c', 'rogue@cso-c', '{auditor}'),
		('shelter-a', 'admin2@shelter-a', '{org_admin,coordinator}')`); err != nil {
		t.Fatal(err)
	}
	rogue := env.As(t, "rogue@cso-c")
	wantCode(t, "auditor of a CSO lists events", listEvents(env, rogue), codes.PermissionDenied)
	admin2 := env.As(t, "admin2@shelter-a")
	wantCode(t, "coordinator of a shelter counts cases", countCases(env, admin2), codes.PermissionDenied)
	me, err := env.Organizations().GetCallerIdentity(admin2, &casebridgev1.GetCallerIdentityRequest{})
	if err != nil || len(me.GetMemberships()) != 1 || !slices.Equal(me.GetMemberships()[0].GetRoles(), []casebridgev1.Role{roleOrgAdmin}) {
		t.Fatalf("roles resolved in the shelter: %v %v", me, err)
	}

	o, err := env.Organizations().GetOrganization(rogue, &casebridgev1.GetOrganizationRequest{Id: "cso-c"})
	if err == nil {
		t.Fatalf("a member holding only a dropped role still passes: %v", o)
	}
	o, err = env.Organizations().GetOrganization(env.As(t, "admin@network"), &casebridgev1.GetOrganizationRequest{Id: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Organizations().UpdateOrganization(env.As(t, "admin@network"), &casebridgev1.UpdateOrganizationRequest{
		Organization: &casebridgev1.Organization{Id: "cso-c", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_COORDINATING_BODY},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"kind"}}, Etag: o.GetOrganization().GetEtag()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for listEvents(env, rogue) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the kind change did not reach the cached roles within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
