package organizations_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// eventsOf returns the audit events of the call that carried request id
// rid, as the network's auditor reads them.
func eventsOf(t *testing.T, env *servertest.Env, subject, rid string) []*casebridgev1.AuditEvent {
	t.Helper()
	resp, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(env.As(t, "auditor@network"),
		&casebridgev1.ListEventsRequest{Subject: subject, PageSize: 500})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	var out []*casebridgev1.AuditEvent
	for _, ev := range resp.GetEvents() {
		if ev.GetRequestId() == rid {
			out = append(out, ev)
		}
	}
	return out
}

// TestEveryOrganizationCallIsAudited: each OrganizationService method
// leaves exactly one event — refused calls too — naming the caller, the
// organisation acted for (where the call is about one) and, for a change, what changed (the member and
// the roles given or taken away, the organisation registered and its kind,
// the rotation started), in the change's own transaction.
func TestEveryOrganizationCallIsAudited(t *testing.T) {
	env := servertest.Start(t)
	orgs := env.Organizations()
	ctx := context.Background()
	var rotationID, oldKey, newKey string
	n := 0
	call := func(subject string, f func(ctx context.Context) error) (string, error) {
		n++
		rid := fmt.Sprintf("org-audit-%d", n)
		return rid, f(servertest.WithRequestID(env.As(t, subject), rid))
	}
	etag := func(id string) string {
		o, err := orgs.GetOrganization(env.As(t, "admin@network"), &casebridgev1.GetOrganizationRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return o.GetOrganization().GetEtag()
	}
	type step struct {
		name, subject string
		call          func(ctx context.Context) error
		code, org     string
		details       func() []string
		row           string // the changed row, written in the event's transaction
	}
	fixed := func(d ...string) func() []string { return func() []string { return d } }
	steps := []step{
		{"GetCallerIdentity", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
			return err
		}, "OK", "", fixed(), ""},
		{"RevokeCallerToken", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.RevokeCallerToken(ctx, &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_IDLE})
			return err
		}, "OK", "shelter-a", fixed("reason=idle"), `SELECT xmin FROM revoked_tokens ORDER BY revoke_time DESC LIMIT 1`},
		{"RevokeCallerToken refused", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.RevokeCallerToken(ctx, &casebridgev1.RevokeCallerTokenRequest{})
			return err
		}, "INVALID_ARGUMENT", "", fixed(), ""},
		{"CreateOrganization", "admin@network", func(ctx context.Context) error {
			_, err := orgs.CreateOrganization(ctx, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
				Id: "legal-f", DisplayName: "Legal Aid F", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
				AdminSubject: "admin@legal-f"})
			return err
		}, "OK", "network", fixed("organization=legal-f", "kind=legal_aid", "admin=admin@legal-f"),
			`SELECT xmin FROM organizations WHERE id = 'legal-f'`},
		{"CreateOrganization refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.CreateOrganization(ctx, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
				Id: "legal-g", DisplayName: "Legal Aid", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
				AdminSubject: "admin@shelter-a"})
			return err
		}, "PERMISSION_DENIED", "", fixed(), ""}, // refused by the method-level check: no handler ran
		{"GetOrganization", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.GetOrganization(ctx, &casebridgev1.GetOrganizationRequest{Id: "cso-c"})
			return err
		}, "OK", "", fixed("organization=cso-c"), ""},
		{"ListOrganizations", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.ListOrganizations(ctx, &casebridgev1.ListOrganizationsRequest{})
			return err
		}, "OK", "", fixed(), ""},
		{"UpdateOrganization", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.UpdateOrganization(ctx, &casebridgev1.UpdateOrganizationRequest{
				Organization: &casebridgev1.Organization{Id: "shelter-a", DisplayName: "Shelter A, Novi Sad"},
				UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}, Etag: etag("shelter-a")})
			return err
		}, "OK", "shelter-a", fixed("organization=shelter-a", "field=display_name"),
			`SELECT xmin FROM organizations WHERE id = 'shelter-a'`},
		{"UpdateOrganization kind refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.UpdateOrganization(ctx, &casebridgev1.UpdateOrganizationRequest{
				Organization: &casebridgev1.Organization{Id: "shelter-a", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_LEGAL_AID},
				UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"kind"}}, Etag: etag("shelter-a")})
			return err
		}, "PERMISSION_DENIED", "shelter-a", fixed("organization=shelter-a", "field=kind", "kind=legal_aid"), ""},
		{"AddMember", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.AddMember(ctx, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
				Subject: "new@shelter-a", Roles: []casebridgev1.Role{roleCaseworker}})
			return err
		}, "OK", "shelter-a", fixed("member=new@shelter-a", "granted=caseworker"),
			`SELECT xmin FROM memberships WHERE subject = 'new@shelter-a'`},
		{"AddMember refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.AddMember(ctx, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
				Subject: "spy@shelter-a", Roles: []casebridgev1.Role{roleAuditor}})
			return err
		}, "PERMISSION_DENIED", "shelter-a", fixed("member=spy@shelter-a", "granted=auditor"), ""},
		{"UpdateMember", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.UpdateMember(ctx, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
				Subject: "new@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_SUPERVISOR}})
			return err
		}, "OK", "shelter-a", fixed("member=new@shelter-a", "granted=supervisor", "removed=caseworker"),
			`SELECT xmin FROM memberships WHERE subject = 'new@shelter-a'`},
		{"UpdateMember refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.UpdateMember(ctx, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
				Subject: "admin@shelter-a", Roles: []casebridgev1.Role{roleOrgAdmin, roleCoordinator}})
			return err
		}, "PERMISSION_DENIED", "shelter-a", fixed("member=admin@shelter-a", "granted=coordinator"), ""},
		{"ListMembers", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.ListMembers(ctx, &casebridgev1.ListMembersRequest{OrganizationId: "shelter-a"})
			return err
		}, "OK", "shelter-a", fixed("organization=shelter-a"), ""},
		{"RemoveMember", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.RemoveMember(ctx, &casebridgev1.RemoveMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a"})
			return err
		}, "OK", "shelter-a", fixed("member=new@shelter-a", "removed=supervisor"), ""},
		{"RemoveMember refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.RemoveMember(ctx, &casebridgev1.RemoveMemberRequest{OrganizationId: "network", Subject: "auditor@network"})
			return err
		}, "PERMISSION_DENIED", "network", fixed("member=auditor@network"), ""},
		{"ListKeys", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.ListKeys(ctx, &casebridgev1.ListKeysRequest{OrganizationId: "shelter-a"})
			return err
		}, "OK", "shelter-a", fixed("organization=shelter-a"), ""},
		{"RotateKey", "admin@shelter-a", func(ctx context.Context) error {
			r, err := orgs.RotateKey(ctx, &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
			rotationID, oldKey, newKey = r.GetRotation().GetId(), r.GetRotation().GetOldKeyId(), r.GetRotation().GetNewKeyId()
			return err
		}, "OK", "shelter-a", func() []string {
			return []string{"organization=shelter-a", "rotation=" + rotationID, "old_key=" + oldKey, "new_key=" + newKey}
		}, ""},
		{"RotateKey refused", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.RotateKey(ctx, &casebridgev1.RotateKeyRequest{OrganizationId: "cso-c"})
			return err
		}, "PERMISSION_DENIED", "cso-c", fixed("organization=cso-c"), ""},
		{"GetKeyRotation", "admin@shelter-a", func(ctx context.Context) error {
			_, err := orgs.GetKeyRotation(ctx, &casebridgev1.GetKeyRotationRequest{OrganizationId: "shelter-a", Id: rotationID})
			return err
		}, "OK", "shelter-a", func() []string { return []string{"organization=shelter-a", "rotation=" + rotationID} }, ""},
		// Refused by the method-level check, before any handler runs: still on record.
		{"ListKeys refused", "caseworker@shelter-a", func(ctx context.Context) error {
			_, err := orgs.ListKeys(ctx, &casebridgev1.ListKeysRequest{OrganizationId: "shelter-a"})
			return err
		}, "PERMISSION_DENIED", "", fixed(), ""},
	}
	for _, s := range steps {
		rid, err := call(s.subject, s.call)
		if (err == nil) != (s.code == "OK") {
			t.Fatalf("%s: %v, want %s", s.name, err, s.code)
		}
		evs := eventsOf(t, env, s.subject, rid)
		if len(evs) != 1 {
			t.Fatalf("%s: %d audit events, want 1: %v", s.name, len(evs), evs)
		}
		ev := evs[0]
		wantDetails := s.details()
		if ev.GetResultCode() != s.code || ev.GetOrganizationId() != s.org || ev.GetSubject() != s.subject ||
			ev.GetMethod() != "/casebridge.v1.OrganizationService/"+firstWord(s.name) || !slices.Equal(ev.GetDetails(), wantDetails) {
			t.Fatalf("%s: event %s %s org=%q by %s details %q; want %s org=%q details %q",
				s.name, ev.GetMethod(), ev.GetResultCode(), ev.GetOrganizationId(), ev.GetSubject(), ev.GetDetails(), s.code, s.org, wantDetails)
		}
		if s.row != "" {
			env.SameTx(t, ev, s.row)
		}
	}
	// The details are part of the hash chain: altering one breaks it.
	resp, err := casebridgev1.NewAuditServiceClient(env.Conn).VerifyChain(env.As(t, "auditor@network"), &casebridgev1.VerifyChainRequest{})
	if err != nil || !resp.GetIntact() {
		t.Fatalf("chain with details does not verify: %v %v", resp, err)
	}
	if _, err := env.Pool.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_insert_only`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `UPDATE audit_events SET details = '{member=someone-else,granted=caseworker}'
		WHERE 'member=spy@shelter-a' = ANY(details)`); err != nil {
		t.Fatal(err)
	}
	resp, err = casebridgev1.NewAuditServiceClient(env.Conn).VerifyChain(env.As(t, "auditor@network"), &casebridgev1.VerifyChainRequest{})
	if err != nil || resp.GetIntact() {
		t.Fatalf("a rewritten detail went unnoticed: %v %v", resp, err)
	}
}

func firstWord(s string) string {
	for i, c := range s {
		if c == ' ' {
			return s[:i]
		}
	}
	return s
}
