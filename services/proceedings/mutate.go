package proceedings

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
)

// mutation is the body of one change to a proceeding, run inside its
// transaction with the proceeding row locked.
type mutation func(tx pgx.Tx, p authz.Principal, acc authz.Access, r *proceedingRow) error

// mutateProceeding runs fn on proceeding id in one transaction, once the
// caller may do act on proceedings of its case (the case row locked first,
// then the proceeding: every mutation takes the locks in that order) and
// their organisation does the legal work on it; the change's audit event
// commits with it, naming the legal class when fn changed the proceeding's
// texts. The proceeding is returned whole, so when it carries texts that
// were not written here that is a read of them, recorded as such.
func (s *Service) mutateProceeding(ctx context.Context, id string, fn mutation) (*proceedingRow, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var r *proceedingRow
	var caseID string
	var acc authz.Access
	written := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if caseID, acc, err = s.proceedingAccess(ctx, tx, p, id, objProceeding, actUpdate, true); err != nil {
			return err
		}
		if r, err = s.getProceeding(ctx, tx, id, true); err != nil {
			return err
		}
		before := r.texts()
		if err := fn(tx, p, acc, r); err != nil {
			return err
		}
		written = !before.equal(r.texts())
		return s.recordChange(ctx, tx, acc.Org, caseID, legalIf(written)...)
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordReturned(ctx, acc.Org, caseID, written, proceedingLegal(r.toProto())); err != nil {
		return nil, err
	}
	return r, nil
}
