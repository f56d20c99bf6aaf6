// Package organizations implements OrganizationService: the tenants of
// Casebridge, their members and roles, and their encryption keys.
package organizations

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
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
	audit   *audit.Recorder
	revoker TokenRevoker
}

// Invalidator drops a subject's cached roles. Other replicas learn of a
// membership change through NOTIFY; this replica forgets at once, so that
// the caller's next call already sees what it just changed.
type Invalidator interface {
	Invalidate(subject string)
}

// New builds the service over its dependencies. Every change it makes is
// recorded by rec in the change's own transaction; revoker ends the tokens
// callers sign out with.
func New(pool *pgxpool.Pool, engine *authz.Engine, km *keys.Manager, members Invalidator, rec *audit.Recorder, revoker TokenRevoker) *Service {
	return &Service{pool: pool, authz: engine, keys: km, members: members, audit: rec, revoker: revoker}
}

// require checks that the caller holds obj/act in org. Organisations are
// public in the directory, so a refusal is PermissionDenied, not NotFound.
func (s *Service) require(p authz.Principal, org, obj, act string) error {
	if !s.authz.Allowed(p, org, obj, act) {
		return rpcerr.PermissionDenied("you may not %s %s of organisation %s", act, obj, org)
	}
	return nil
}

// requireNetwork checks that the caller holds obj/act as a network role:
// in the coordinating body where they hold it, for the whole network (the
// roles that allow it count only there, see authz.EffectiveRoles).
func (s *Service) requireNetwork(ctx context.Context, p authz.Principal, obj, act string) error {
	orgs := s.authz.OrgsAllowed(p, obj, act)
	if len(orgs) == 0 {
		return rpcerr.PermissionDenied("only a network admin may %s an %s", act, obj)
	}
	audit.SetOrg(ctx, orgs[0])
	return nil
}

// GetCallerIdentity returns who the caller is and their roles, as resolved
// for this very call.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *casebridgev1.GetCallerIdentityRequest) (*casebridgev1.GetCallerIdentityResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.GetCallerIdentityResponse{Subject: p.Subject}
	for org, roles := range p.Memberships {
		resp.Memberships = append(resp.Memberships, &casebridgev1.Membership{OrganizationId: org, Roles: authz.RolesFromNames(roles)})
	}
	sortMemberships(resp.Memberships)
	return resp, nil
}
