package compensation

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseinfo"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Policy objects of this service (policies/methods.csv).
const (
	objClaim   = "claim"
	objPayment = "payment"
	actCreate  = "create"
	actUpdate  = "update"
)

// access decides whether p may do act on obj of case caseID; lock also
// locks the case row for the caller's transaction (every mutation locks the
// case, then the claim). A case the caller may not see is reported as
// notFound, so that a claim id reveals neither its case nor that it exists.
func (s *Service) access(ctx context.Context, q caseinfo.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error) (authz.Access, error) {
	info, err := caseinfo.Load(ctx, q, caseID, lock)
	if errors.Is(err, caseinfo.ErrNoCase) {
		return authz.Access{}, notFound
	}
	if err != nil {
		return authz.Access{}, err
	}
	concerns(ctx, "", caseID)
	acc, err := s.authz.CaseAccess(p, info, obj, act)
	switch {
	case errors.Is(err, authz.ErrNotFound):
		return authz.Access{}, notFound
	case errors.Is(err, authz.ErrPermissionDenied):
		return authz.Access{}, rpcerr.PermissionDenied("your role may not %s %s on case %s", act, obj, caseID)
	case err != nil:
		return authz.Access{}, fmt.Errorf("decide access to case %s: %w", caseID, err)
	}
	concerns(ctx, acc.Org, "")
	return acc, nil
}

// claimAccess finds the case of claim id and decides p's access to it; a
// claim that does not exist and one the caller may not see are the same
// NotFound.
func (s *Service) claimAccess(ctx context.Context, q caseinfo.Querier, p authz.Principal, id, obj, act string, lock bool) (string, authz.Access, error) {
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id FROM claims WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", authz.Access{}, claimNotFound(id)
	}
	if err != nil {
		return "", authz.Access{}, fmt.Errorf("find case of claim %s: %w", id, err)
	}
	acc, err := s.access(ctx, q, p, caseID, obj, act, lock, claimNotFound(id))
	return caseID, acc, err
}

func caseNotFound(id string) error  { return rpcerr.NotFound("case %s not found", id) }
func claimNotFound(id string) error { return rpcerr.NotFound("claim %s not found", id) }

// Referral values as stored in the referrals table.
const (
	referralAccepted = 2
	serviceLegal     = int16(casebridgev1.ServiceKind_SERVICE_KIND_LEGAL)
)

// requireLegalWork checks that the organisation the caller acts for does
// the legal work on the case: it owns the case, or it received an accepted
// referral for legal representation. The policy's referral ceiling lets any
// receiving organisation's lawyers change claims, since it does not know
// what a referral was for.
func requireLegalWork(ctx context.Context, q caseinfo.Querier, caseID string, acc authz.Access) error {
	if !acc.Shared {
		return nil
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM referrals
		WHERE case_id = $1 AND to_organization = $2 AND status = $3 AND service = $4)`,
		caseID, acc.Org, referralAccepted, serviceLegal).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look up legal referral of case %s: %w", caseID, err)
	}
	if !ok {
		return rpcerr.PermissionDenied("organisation %s was not referred case %s for legal representation: only the owner or the receiver of an accepted legal referral does legal work on it", acc.Org, caseID)
	}
	return nil
}

// checkProceeding checks that a claim's proceeding is one of its case's.
func checkProceeding(ctx context.Context, q caseinfo.Querier, field, caseID, proceedingID string) error {
	if proceedingID == "" {
		return nil
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM proceedings WHERE id = $1 AND case_id = $2)`,
		proceedingID, caseID).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look up proceeding %s: %w", proceedingID, err)
	}
	if !ok {
		return rpcerr.InvalidArgument(field, "%s is not a proceeding of case %s", proceedingID, caseID)
	}
	return nil
}
