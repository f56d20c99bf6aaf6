package cases

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/casebridge/casebridge/services/tasks"
)

// EraseCase crypto-shreds a person's sensitive data: ciphertexts, notes and
// every wrapped copy of the case key go in one transaction, open sharing
// ends, and the organisation keys that wrapped the case key are then
// rotated away, so that a backup taken before the erasure can no longer be
// decrypted either. Coded attributes stay for statistics.
func (s *Service) EraseCase(ctx context.Context, req *casebridgev1.EraseCaseRequest) (*casebridgev1.EraseCaseResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var r *caseRow
	var acc authz.Access
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var f caseaccess.Facts
		if acc, f, err = s.gate.Check(ctx, tx, p, req.GetId(), "case", caseaccess.Erase.Act, true, caseNotFound(req.GetId())); err != nil {
			return err
		}
		if acc.Shared {
			return rpcerr.PermissionDenied("only the owning organisation may erase case %s", req.GetId())
		}
		if r, err = getCase(ctx, tx, req.GetId(), false); err != nil {
			return err
		}
		if err := caseaccess.Transit(ctx, tx, f, caseaccess.Erase); err != nil {
			return err
		}
		if err := checkEtag(r, req.GetEtag(), false); err != nil {
			return err
		}
		auditReason(ctx, req.GetReasonCode(), req.GetReason())
		if err := s.audit.InTx(ctx, tx, acc.Org, r.ID, presentClasses(r)); err != nil {
			return err
		}
		// The reason is sealed like every other value of the case, and so
		// is shredded with it below: what outlives the erasure is that it
		// happened, when and by whom.
		if err := s.addHistory(ctx, tx, r.ID, casebridgev1.CaseStatus_CASE_STATUS_UNSPECIFIED, true, req.GetReason(), req.GetReasonCode(), p.Subject); err != nil {
			return err
		}
		// The organisations the case is shared with hear that it is closed
		// (and, from shred, that their referrals are revoked) once the
		// erasure is done: the events are written last.
		var events referral.Outbox
		if err := events.CaseStatus(ctx, tx, r.ID); err != nil {
			return err
		}
		if err := s.shred(ctx, tx, r.ID, &events); err != nil {
			return err
		}
		if err := tasks.CloseOnErasure(ctx, tx, r.ID); err != nil {
			return err
		}
		now := s.now()
		r.ClassesPresent = 0
		r.EraseTime = &now
		if r.Status != caseaccess.Erase.To {
			r.Status = caseaccess.Erase.To
			r.CloseTime = &now
		}
		if err := saveCase(ctx, tx, r, now); err != nil {
			return err
		}
		return events.Flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	c, err := s.render(ctx, s.pool, acc, r, casebridgev1.CaseView_CASE_VIEW_BASIC)
	return &casebridgev1.EraseCaseResponse{Case: c}, err
}

// shred deletes every sealed value of the case (every column of the
// registry, see vault.Columns) and its wrapped keys, ends its sharing
// (gathering the revocation events in events) and any transfer of it
// waiting for an answer, and commits the rotation of
// every organisation key that wrapped the case key together with the erasure.
func (s *Service) shred(ctx context.Context, tx pgx.Tx, id string, events *referral.Outbox) error {
	if err := sealed.Clear(ctx, tx, id); err != nil {
		return fmt.Errorf("erase case %s: %w", id, err)
	}
	if err := referral.EndAll(ctx, tx, events, id, "case erased"); err != nil {
		return fmt.Errorf("erase case %s: %w", id, err)
	}
	if err := transfer.EndCase(ctx, tx, id); err != nil {
		return fmt.Errorf("erase case %s: %w", id, err)
	}
	if _, err := s.keys.ShredAndRotate(ctx, tx, id); err != nil {
		return fmt.Errorf("shred keys of case %s: %w", id, err)
	}
	return nil
}
