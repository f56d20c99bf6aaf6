package authz

import (
	"context"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Principal is an authenticated caller with the roles they hold, as resolved
// for the current request. Handlers take it from the context instead of
// querying memberships again, so that one request sees one consistent set of
// roles.
type Principal struct {
	// Subject is the token's subject.
	Subject string
	// Memberships maps an organisation id to the roles the subject holds
	// there that count there (no network role outside a coordinating body;
	// see EffectiveRoles). It may be shared with a cache: treat it as
	// read-only.
	Memberships map[string][]string
}

// Orgs returns the organisations the principal belongs to, in no particular
// order.
func (p Principal) Orgs() []string {
	orgs := make([]string, 0, len(p.Memberships))
	for org := range p.Memberships {
		orgs = append(orgs, org)
	}
	return orgs
}

// IsMember reports whether the principal holds any role in org.
func (p Principal) IsMember(org string) bool {
	return len(p.Memberships[org]) > 0
}

type principalKey struct{}

// WithPrincipal returns a context carrying p. The authorization interceptor
// calls it once the method-level check has passed.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by [WithPrincipal]. The boolean
// is false when the request did not pass the authorization interceptor
// (for example a skipped health-check method); handlers must then refuse,
// never assume an anonymous caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Caller returns the principal the authorization interceptor resolved for
// this call, or Unauthenticated when there is none. Every handler starts
// with it: a call that skipped the interceptor is refused, never served as
// an anonymous caller.
func Caller(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Principal{}, rpcerr.Unauthenticated("no authenticated caller")
	}
	return p, nil
}
