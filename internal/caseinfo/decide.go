package caseinfo

import (
	"context"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Decide maps the authorization decision about case id to what the client
// sees: notFound when the caller may not see the case at all — the case's
// existence is itself sensitive — and PermissionDenied when they may see it
// but their role may not do act on obj.
func Decide(engine *authz.Engine, p authz.Principal, info authz.CaseInfo, id, obj, act string, notFound error) (authz.Access, error) {
	acc, err := engine.CaseAccess(p, info, obj, act)
	switch {
	case errors.Is(err, authz.ErrNotFound):
		return authz.Access{}, notFound
	case errors.Is(err, authz.ErrPermissionDenied):
		return authz.Access{}, rpcerr.PermissionDenied("your role may not %s %s on case %s", act, obj, id)
	case err != nil:
		return authz.Access{}, fmt.Errorf("decide access to case %s: %w", id, err)
	}
	return acc, nil
}

// Check loads case id (locking its row with lock) and decides p's access;
// a case that does not exist is notFound as well.
func Check(ctx context.Context, q Querier, engine *authz.Engine, p authz.Principal, id, obj, act string, lock bool, notFound error) (authz.Access, error) {
	info, err := Load(ctx, q, id, lock)
	if errors.Is(err, ErrNoCase) {
		return authz.Access{}, notFound
	}
	if err != nil {
		return authz.Access{}, err
	}
	return Decide(engine, p, info, id, obj, act, notFound)
}

// RequireLegalWork checks that the organisation the caller acts for does
// the legal work on the case: it owns the case, or it received an accepted
// referral for legal representation. The policy's referral ceiling lets any
// receiving organisation's lawyers act, since it does not know what a
// referral was for; this rule does.
func RequireLegalWork(ctx context.Context, q Querier, caseID string, acc authz.Access) error {
	if !acc.Shared {
		return nil
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM referrals
		WHERE case_id = $1 AND to_organization = $2 AND status = 2 AND service = $3)`,
		caseID, acc.Org, int16(casebridgev1.ServiceKind_SERVICE_KIND_LEGAL)).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look up legal referral of case %s: %w", caseID, err)
	}
	if !ok {
		return rpcerr.PermissionDenied("organisation %s was not referred case %s for legal representation: only the owner or the receiver of an accepted legal referral does legal work on it", acc.Org, caseID)
	}
	return nil
}
