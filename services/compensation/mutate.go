package compensation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// mutateClaim runs fn on claim id and saves the claim, in one transaction,
// once the caller may do act on obj of its case and their organisation does
// the legal work on it. The case row is locked first, then the claim:
// every mutation takes the locks in that order. The change's audit event
// commits with it, naming the legal class when fn changed the claim's
// texts. The caller answers with the claim whole (and, for a payment, the
// entry): recordReturned puts on record the texts it did not write.
func (s *Service) mutateClaim(ctx context.Context, id, obj, act string, fn func(tx pgx.Tx, p authz.Principal, c *claimRow) error) (*claimRow, claimChange, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, claimChange{}, err
	}
	var c *claimRow
	var ch claimChange
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if ch.caseID, ch.acc, err = s.claimAccess(ctx, tx, p, id, obj, act, true); err != nil {
			return err
		}
		if c, err = s.getClaim(ctx, tx, id, true); err != nil {
			return err
		}
		before := c.texts()
		if err := fn(tx, p, c); err != nil {
			return err
		}
		if err := s.saveClaim(ctx, tx, c, s.now()); err != nil {
			return err
		}
		ch.written = c.texts() != before
		return s.recordChange(ctx, tx, ch.acc.Org, ch.caseID, ch.written)
	})
	if err != nil {
		ch.written = false // rolled back; the access stays known for a retry's answer
		return nil, ch, err
	}
	return c, ch, nil
}

// claimChange is what a committed claim mutation leaves for its answer's
// audit: the case, the caller's access, and whether its event named the
// legal class.
type claimChange struct {
	caseID  string
	acc     authz.Access
	written bool
}

// answer records the read of the legal text claim c carries that the
// change's event did not name, and returns c.
func (s *Service) answer(ctx context.Context, ch claimChange, c *casebridgev1.Claim) (*casebridgev1.Claim, error) {
	if err := s.fileDocuments(ctx, s.pool, []*casebridgev1.Claim{c}, []authz.Access{ch.acc}); err != nil {
		return nil, err
	}
	if err := s.recordReturned(ctx, ch.acc.Org, ch.caseID, ch.written, claimLegal(c)); err != nil {
		return nil, err
	}
	return c, nil
}
