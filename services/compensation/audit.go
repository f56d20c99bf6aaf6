package compensation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
)

// Claims and payments hold no sensitive class of the case record: amounts,
// dates, kinds and statuses are plain; the names and reasons (texts.go) are
// sealed, and shown to whoever may read the claim. Every event of this
// service names the case and the organisation.

// recordRead writes the audit event of a read of case caseID acting for
// org, durable before it returns: a handler must not answer if it fails.
func (s *Service) recordRead(ctx context.Context, org, caseID string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Read(ctx, org, caseID, nil)
}

// recordReads writes a read event for every case a list response returns;
// durable before it returns, and a handler must not answer if it fails.
func (s *Service) recordReads(ctx context.Context, r *audit.ReadSet) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.ReadMany(ctx, r.Reads())
}

// recordChange writes the audit event of a change to case caseID in the
// change's own transaction tx: both commit or neither does.
func (s *Service) recordChange(ctx context.Context, tx pgx.Tx, org, caseID string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.InTx(ctx, tx, org, caseID, nil)
}

// concerns names the case a call is about, and the organisation the caller
// acts for once it is known, so that the interceptor's event of a failed
// call carries them even when the request named neither (a claim id). It
// does nothing outside an audited call.
func concerns(ctx context.Context, org, caseID string) {
	if caseID != "" {
		audit.SetCase(ctx, caseID)
	}
	if org != "" {
		audit.SetOrg(ctx, org)
	}
}
