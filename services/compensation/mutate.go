package compensation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
)

// mutateClaim runs fn on claim id and saves the claim, in one transaction,
// once the caller may do act on obj of its case and their organisation does
// the legal work on it. The case row is locked first, then the claim:
// every mutation takes the locks in that order. The change's audit event
// commits with it.
func (s *Service) mutateClaim(ctx context.Context, id, obj, act string, fn func(tx pgx.Tx, p authz.Principal, c *claimRow) error) (*claimRow, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var c *claimRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		caseID, acc, err := s.claimAccess(ctx, tx, p, id, obj, act, true)
		if err != nil {
			return err
		}
		if c, err = s.getClaim(ctx, tx, id, true); err != nil {
			return err
		}
		if err := fn(tx, p, c); err != nil {
			return err
		}
		if err := s.saveClaim(ctx, tx, c, s.now()); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, acc.Org, caseID)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
