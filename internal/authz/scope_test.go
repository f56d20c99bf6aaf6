package authz

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestListOrgs: a list covers the organisation named, when the caller may
// list there, or every one where they may, always in one order.
func TestListOrgs(t *testing.T) {
	e := defaultEngine(t)
	p := Principal{Subject: "cw", Memberships: map[string][]string{
		"shelter-c": {RoleCaseworker}, "shelter-a": {RoleCaseworker}, "shelter-b": {RoleCaseworker}, "admin-only": {RoleOrgAdmin},
	}}
	tasks := Scope{Obj: "task", Act: ActRead, Plural: "tasks"}
	for range 20 { // map order varies from call to call; the answer must not
		got, err := e.ListOrgs(p, tasks, "")
		if err != nil || !slices.Equal(got, []string{"shelter-a", "shelter-b", "shelter-c"}) {
			t.Fatalf("ListOrgs = %v, %v; want the three shelters, sorted", got, err)
		}
	}
	if got, err := e.ListOrgs(p, tasks, "shelter-b"); err != nil || !slices.Equal(got, []string{"shelter-b"}) {
		t.Errorf("named shelter-b: %v, %v", got, err)
	}
	for _, tc := range []struct {
		p     Principal
		s     Scope
		named string
		want  codes.Code
	}{
		{p, tasks, "admin-only", codes.PermissionDenied},
		{p, tasks, "elsewhere", codes.PermissionDenied},
		{Principal{Subject: "admin", Memberships: map[string][]string{"admin-only": {RoleOrgAdmin}}}, tasks, "", codes.PermissionDenied},
		{p, Scope{Obj: "task", Act: ActRead, Plural: "tasks", Single: true}, "", codes.InvalidArgument},
	} {
		if _, err := e.ListOrgs(tc.p, tc.s, tc.named); status.Code(err) != tc.want {
			t.Errorf("ListOrgs(%s, %q) = %v, want %v", tc.p.Subject, tc.named, err, tc.want)
		}
	}
}
