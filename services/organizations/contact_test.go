package organizations_test

import (
	"testing"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestMemberContactFields: a member's contact address and language are
// kept, changed only when sent, cleared by an empty address, and a bad
// value is InvalidArgument naming its field.
func TestMemberContactFields(t *testing.T) {
	env := servertest.Start(t)
	admin := env.As(t, "admin@shelter-a")
	orgs := env.Organizations()
	cw := []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}
	added, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a", Roles: cw,
		ContactEmail: "new@shelter-a.example.org", PreferredLanguage: casebridgev1.Language_LANGUAGE_ALBANIAN})
	if err != nil {
		t.Fatal(err)
	}
	if m := added.GetMember(); m.GetContactEmail() != "new@shelter-a.example.org" || m.GetPreferredLanguage() != casebridgev1.Language_LANGUAGE_ALBANIAN {
		t.Fatalf("added member: %q %v", m.GetContactEmail(), m.GetPreferredLanguage())
	}
	// Roles only: the contact stays.
	up, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a", Roles: cw})
	if err != nil || up.GetMember().GetContactEmail() != "new@shelter-a.example.org" {
		t.Fatalf("update without contact changed it: %q %v", up.GetMember().GetContactEmail(), err)
	}
	empty, mk := "", casebridgev1.Language_LANGUAGE_MACEDONIAN
	up, err = orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a", Roles: cw,
		ContactEmail: &empty, PreferredLanguage: &mk})
	if err != nil || up.GetMember().GetContactEmail() != "" || up.GetMember().GetPreferredLanguage() != mk {
		t.Fatalf("clearing the address: %q %v %v", up.GetMember().GetContactEmail(), up.GetMember().GetPreferredLanguage(), err)
	}

	bad, unknown := "not an address", casebridgev1.Language(99)
	for _, c := range []struct {
		name, field string
		call        func() error
	}{
		{"add: bad address", "contact_email", func() error {
			_, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Subject: "x@shelter-a", Roles: cw, ContactEmail: bad})
			return err
		}},
		{"add: unknown language", "preferred_language", func() error {
			_, err := orgs.AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a", Subject: "x@shelter-a", Roles: cw, PreferredLanguage: unknown})
			return err
		}},
		{"update: bad address", "contact_email", func() error {
			_, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a", Roles: cw, ContactEmail: &bad})
			return err
		}},
		{"update: unknown language", "preferred_language", func() error {
			_, err := orgs.UpdateMember(admin, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a", Subject: "new@shelter-a", Roles: cw, PreferredLanguage: &unknown})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) { servertest.WantField(t, c.call(), c.field) })
	}
}
