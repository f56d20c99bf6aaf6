// Package organizations implements OrganizationService: the tenants of
// Casebridge, their members and roles, and their encryption keys.
package organizations

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Service is the OrganizationService handler.
type Service struct {
	casebridgev1.UnimplementedOrganizationServiceServer

	pool    *pgxpool.Pool
	authz   *authz.Engine
	keys    *keys.Manager
	members Invalidator
}

// Invalidator drops a subject's cached roles. Other replicas learn of a
// membership change through NOTIFY; this replica forgets at once, so that
// the caller's next call already sees what it just changed.
type Invalidator interface {
	Invalidate(subject string)
}

// New builds the service over its dependencies.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, members Invalidator) *Service {
	return &Service{pool: pool, authz: engine, keys: km, members: members}
}

func principal(ctx context.Context) (authz.Principal, error) {
	p, ok := authz.PrincipalFrom(ctx)
	if !ok {
		return authz.Principal{}, rpcerr.Unauthenticated("no authenticated caller")
	}
	return p, nil
}

// require checks that the caller holds obj/act in org. Organisations are
// public in the directory, so a refusal is PermissionDenied, not NotFound.
func (s *Service) require(p authz.Principal, org, obj, act string) error {
	if !s.authz.Allowed(p, org, obj, act) {
		return rpcerr.PermissionDenied("you may not %s %s of organisation %s", act, obj, org)
	}
	return nil
}

// roleName is the policy's name for an API role ("caseworker", ...).
func roleName(r casebridgev1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

// roleFromName is the API role for a policy name.
func roleFromName(name string) casebridgev1.Role {
	return casebridgev1.Role(casebridgev1.Role_value["ROLE_"+strings.ToUpper(name)])
}

func roleNames(roles []casebridgev1.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = roleName(r)
	}
	return out
}

func rolesFromNames(names []string) []casebridgev1.Role {
	out := make([]casebridgev1.Role, 0, len(names))
	for _, n := range names {
		if r := roleFromName(n); r != casebridgev1.Role_ROLE_UNSPECIFIED {
			out = append(out, r)
		}
	}
	return out
}

// GetCallerIdentity returns who the caller is and their roles, as resolved
// for this very call.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *casebridgev1.GetCallerIdentityRequest) (*casebridgev1.GetCallerIdentityResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetCallerIdentityResponse{Subject: p.Subject}
	for org, roles := range p.Memberships {
		resp.Memberships = append(resp.Memberships, &casebridgev1.Membership{OrganizationId: org, Roles: rolesFromNames(roles)})
	}
	sortMemberships(resp.Memberships)
	return resp, nil
}
