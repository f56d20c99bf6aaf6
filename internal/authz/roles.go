package authz

import (
	"slices"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The roles a member can hold, as the memberships table and the policy
// name them (casebridge.v1.Role in lower case, without its prefix).
const (
	RoleCaseworker   = "caseworker"
	RoleSupervisor   = "supervisor"
	RoleLawyer       = "lawyer"
	RoleOrgAdmin     = "org_admin"
	RoleCoordinator  = "coordinator"
	RoleAuditor      = "auditor"
	RoleNetworkAdmin = "network_admin"
)

// OrganizationRoles are granted by an organisation's own admin and count in
// any organisation.
var OrganizationRoles = []string{RoleCaseworker, RoleSupervisor, RoleLawyer, RoleOrgAdmin}

// NetworkRoles act across organisations (figures, the audit trail, the
// register of organisations). They count only in a coordinating body and
// only a network admin grants them: an organisation that could give them to
// itself could read every organisation's trail.
var NetworkRoles = []string{RoleCoordinator, RoleAuditor, RoleNetworkAdmin}

// AdminRoles are the roles that manage members: an organisation must keep
// at least one holder of each it has, or nobody could manage them again.
var AdminRoles = []string{RoleOrgAdmin, RoleNetworkAdmin}

// CaseCarriers are the roles that may carry a case: a case is assigned only
// to a member holding one of them in the owning organisation.
var CaseCarriers = []string{RoleCaseworker, RoleSupervisor}

// CoordinatingBody is the kind of organisation in which network roles count.
const CoordinatingBody = casebridgev1.OrganizationKind_ORGANIZATION_KIND_COORDINATING_BODY

// Policy objects for granting roles, each with the action ActGrant (which
// covers taking a role away as well).
const (
	ObjOrgRole     = "org_role"
	ObjNetworkRole = "network_role"
	ActGrant       = "grant"
)

// IsNetworkRole reports whether role is one of NetworkRoles.
func IsNetworkRole(role string) bool { return slices.Contains(NetworkRoles, role) }

// GrantObject is the policy object a caller needs (with ActGrant) to give
// or take away role.
func GrantObject(role string) string {
	if IsNetworkRole(role) {
		return ObjNetworkRole
	}
	return ObjOrgRole
}

// EffectiveRoles returns the roles held in an organisation of kind that
// allow anything there: every role in a coordinating body, and none of the
// network roles anywhere else, however they came into the memberships table.
// It returns roles itself when nothing is dropped.
func EffectiveRoles(kind casebridgev1.OrganizationKind, roles []string) []string {
	if kind == CoordinatingBody || !slices.ContainsFunc(roles, IsNetworkRole) {
		return roles
	}
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		if !IsNetworkRole(r) {
			out = append(out, r)
		}
	}
	return out
}

// RoleName is the policy's name for an API role; "" for ROLE_UNSPECIFIED.
func RoleName(r casebridgev1.Role) string {
	if r == casebridgev1.Role_ROLE_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

// RoleFromName is the API role of a policy name; ROLE_UNSPECIFIED for a
// name that is no role.
func RoleFromName(name string) casebridgev1.Role {
	return casebridgev1.Role(casebridgev1.Role_value["ROLE_"+strings.ToUpper(name)])
}

// RoleNames converts API roles to policy names.
func RoleNames(roles []casebridgev1.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = RoleName(r)
	}
	return out
}

// RolesFromNames converts policy names to API roles, leaving out names that
// are no role.
func RolesFromNames(names []string) []casebridgev1.Role {
	out := make([]casebridgev1.Role, 0, len(names))
	for _, n := range names {
		if r := RoleFromName(n); r != casebridgev1.Role_ROLE_UNSPECIFIED {
			out = append(out, r)
		}
	}
	return out
}
