package authz

import (
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Scope is what a list or a watch across the caller's organisations is of:
// the policy object and action it needs in each, how refusals name the
// object (plural: "referrals"), and whether a caller in several
// organisations must name one.
type Scope struct {
	Obj, Act string
	Plural   string
	Single   bool
}

// ListOrgs resolves the organisations a list or a watch of s covers for p:
// named alone, when p may do s.Act on s.Obj there, or else every
// organisation where p may, sorted, so that a page token's fingerprint
// names them in the same order on every call. Refusals are
// PermissionDenied (no such organisation, or named one p may not) and,
// under s.Single, InvalidArgument on organization_id.
func (e *Engine) ListOrgs(p Principal, s Scope, named string) ([]string, error) {
	if named != "" {
		if !e.Allowed(p, named, s.Obj, s.Act) {
			return nil, rpcerr.PermissionDenied("you may not %s the %s of organisation %s", s.Act, s.Plural, named)
		}
		return []string{named}, nil
	}
	orgs := e.OrgsAllowed(p, s.Obj, s.Act)
	slices.Sort(orgs)
	switch {
	case len(orgs) == 0:
		return nil, rpcerr.PermissionDenied("your roles may not %s %s in any organisation", s.Act, s.Plural)
	case s.Single && len(orgs) > 1:
		return nil, rpcerr.InvalidArgument("organization_id", "required: you belong to several organisations (%s)", strings.Join(orgs, ", "))
	}
	return orgs, nil
}
