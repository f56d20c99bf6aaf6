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
// commits with it. A proceeding holds no sensitive class.
func (s *Service) mutateProceeding(ctx context.Context, id string, fn mutation) (*proceedingRow, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var r *proceedingRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		caseID, acc, err := s.proceedingAccess(ctx, tx, p, id, objProceeding, actUpdate, true)
		if err != nil {
			return err
		}
		if r, err = s.getProceeding(ctx, tx, id, true); err != nil {
			return err
		}
		if err := fn(tx, p, acc, r); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, acc.Org, caseID)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
