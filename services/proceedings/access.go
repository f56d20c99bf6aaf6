package proceedings

import (
	"context"
	"errors"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Policy objects of this service (policies/methods.csv): court data, which
// caseaccess reaches only through legal work.
const (
	objProceeding = caseaccess.ObjProceeding
	objHearing    = caseaccess.ObjHearing
	objDeadline   = caseaccess.ObjDeadline
	actCreate     = "create"
	actUpdate     = "update"
)

// access decides whether p may do act on obj of case caseID; lock also
// locks the case row for the caller's transaction, so that a referral
// revoked meanwhile cannot slip between the decision and the write. A case
// the caller may not see is reported as notFound — the not-found error of
// whatever the request named. Use it when the request named the case.
func (s *Service) access(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error) (authz.Access, error) {
	return s.decide(ctx, q, p, caseID, obj, act, lock, notFound, s.gate.Check)
}

// recordAccess is access for a request that named a record of the case (a
// proceeding, hearing or deadline): to an organisation doing no legal work
// on the case the record is notFound as well, so that its id reveals
// neither its case nor that it exists.
func (s *Service) recordAccess(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error) (authz.Access, error) {
	return s.decide(ctx, q, p, caseID, obj, act, lock, notFound, s.gate.CheckRecord)
}

func (s *Service) decide(ctx context.Context, q db.Querier, p authz.Principal, caseID, obj, act string, lock bool, notFound error, check checkFunc) (authz.Access, error) {
	concerns(ctx, "", caseID)
	acc, _, err := check(ctx, q, p, caseID, obj, act, lock, notFound)
	if err != nil {
		return authz.Access{}, err
	}
	concerns(ctx, acc.Org, "")
	return acc, nil
}

// checkFunc is caseaccess.Gate's Check or CheckRecord.
type checkFunc func(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool, notFound error) (authz.Access, caseaccess.Facts, error)

// proceedingAccess finds the case of proceeding id and decides p's access
// to it; a proceeding that does not exist and one the caller may not see
// are the same NotFound.
func (s *Service) proceedingAccess(ctx context.Context, q db.Querier, p authz.Principal, id, obj, act string, lock bool) (string, authz.Access, error) {
	caseID, err := caseOf(ctx, q, "proceedings", id, proceedingNotFound(id))
	if err != nil {
		return "", authz.Access{}, err
	}
	acc, err := s.recordAccess(ctx, q, p, caseID, obj, act, lock, proceedingNotFound(id))
	return caseID, acc, err
}

func caseNotFound(id string) error       { return rpcerr.NotFound("case %s not found", id) }
func proceedingNotFound(id string) error { return rpcerr.NotFound("proceeding %s not found", id) }

// notesReadable decides whether hearing notes are shown. They are the
// lawyers' working notes in the legal class: the reader needs the legal
// class on this case (their role's, narrowed by the referral) and the right
// to work on hearings there. A caseworker of the owner may read the legal
// class of the case file, yet sees hearing notes redacted.
func (s *Service) notesReadable(p authz.Principal, acc authz.Access) bool {
	return acc.CanRead(dataclass.Legal) && s.authz.Allowed(p, acc.Org, objHearing, actUpdate)
}

// checkNotesWritable refuses notes from a caller who may not write the
// legal class, or whose referral does not grant it (they could not read
// back what they wrote).
func (s *Service) checkNotesWritable(p authz.Principal, acc authz.Access) error {
	if acc.CanRead(dataclass.Legal) && s.authz.Allowed(p, acc.Org, string(dataclass.Legal), authz.ActWrite) {
		return nil
	}
	return rpcerr.PermissionDenied("hearing notes are in the legal class, which you may not write on this case")
}

// caseFacts loads the facts of case id (caseaccess.Load: owner, status,
// erasure); a case that does not exist is NotFound.
func caseFacts(ctx context.Context, q db.Querier, id string) (caseaccess.Facts, error) {
	f, err := caseaccess.Load(ctx, q, id, false)
	if errors.Is(err, caseaccess.ErrNoCase) {
		return f, caseNotFound(id)
	}
	return f, err
}

// childAccess finds the case of a hearing or deadline (table names which)
// and decides p's access to it; one that does not exist and one the caller
// may not see are the same notFound.
func (s *Service) childAccess(ctx context.Context, q db.Querier, p authz.Principal, table, id, obj, act string, lock bool, notFound error) (string, authz.Access, error) {
	caseID, err := caseOf(ctx, q, table, id, notFound)
	if err != nil {
		return "", authz.Access{}, err
	}
	acc, err := s.recordAccess(ctx, q, p, caseID, obj, act, lock, notFound)
	return caseID, acc, err
}
