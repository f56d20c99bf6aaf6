package compensation

import (
	"context"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Policy objects of this service (policies/methods.csv).
// Claims and payments are court data, which caseaccess reaches only
// through legal work.
const (
	objClaim   = caseaccess.ObjClaim
	objPayment = caseaccess.ObjPayment
	actCreate  = "create"
	actUpdate  = "update"
)

// access decides whether p may do act on obj of case caseID; lock also
// locks the case row for the caller's transaction (every mutation locks the
// case, then the claim). A case the caller may not see is reported as
// notFound. Use it when the request named the case.
func (s *Service) access(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error) (authz.Access, error) {
	return s.decide(ctx, q, p, caseID, obj, act, lock, notFound, s.gate.Check)
}

// recordAccess is access for a request that named a claim: to an
// organisation doing no legal work on the case the claim is notFound as
// well, so that its id reveals neither its case nor that it exists.
func (s *Service) recordAccess(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error) (authz.Access, error) {
	return s.decide(ctx, q, p, caseID, obj, act, lock, notFound, s.gate.CheckRecord)
}

// checkFunc is caseaccess.Gate's Check or CheckRecord.
type checkFunc func(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool, notFound error) (authz.Access, caseaccess.Facts, error)

func (s *Service) decide(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error, check checkFunc) (authz.Access, error) {
	concerns(ctx, "", caseID)
	acc, _, err := check(ctx, q, p, caseID, obj, act, lock, notFound)
	if err != nil {
		return authz.Access{}, err
	}
	concerns(ctx, acc.Org, "")
	return acc, nil
}

// claimAccess finds the case of claim id and decides p's access to it; a
// claim that does not exist and one the caller may not see are the same
// NotFound.
func (s *Service) claimAccess(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool) (string, authz.Access, error) {
	caseID, err := caseOfClaim(ctx, q, id)
	if err != nil {
		return "", authz.Access{}, err
	}
	acc, err := s.recordAccess(ctx, q, p, caseID, obj, act, lock, claimNotFound(id))
	return caseID, acc, err
}

func caseNotFound(id string) error  { return rpcerr.NotFound("case %s not found", id) }
func claimNotFound(id string) error { return rpcerr.NotFound("claim %s not found", id) }

// checkProceeding checks that a claim's proceeding is one of its case's.
func checkProceeding(ctx context.Context, q db.Querier, field, caseID, proceedingID string) error {
	if proceedingID == "" {
		return nil
	}
	ok, err := isProceedingOf(ctx, q, proceedingID, caseID)
	if err != nil {
		return err
	}
	if !ok {
		return rpcerr.InvalidArgument(field, "%s is not a proceeding of case %s", proceedingID, caseID)
	}
	return nil
}
