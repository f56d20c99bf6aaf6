package referrals

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
)

// A referral's case appears by reference and coded attributes only; its
// own texts (message, decline reason) are sealed in the care class, so an
// event of a call that returned them names that class.

// recordRead writes the audit event of a read of case caseID acting for
// org, durable before it returns: a handler must not answer if it fails.
func (s *Service) recordRead(ctx context.Context, org, caseID string, classes []string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Read(ctx, org, caseID, classes)
}

// recordChange writes the audit event of a change to case caseID in the
// change's own transaction tx: both commit or neither does. Call it before
// the outbox flush, which must stay the transaction's last statement.
func (s *Service) recordChange(ctx context.Context, tx pgx.Tx, org, caseID string, classes []string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.InTx(ctx, tx, org, caseID, classes)
}

// concerns names the case a call is about, and the organisation the caller
// acts for once it is known, so that the interceptor's event of a failed
// call carries them even when the request named neither (a referral id).
// It does nothing outside an audited call.
func concerns(ctx context.Context, org, caseID string) {
	if caseID != "" {
		audit.SetCase(ctx, caseID)
	}
	if org != "" {
		audit.SetOrg(ctx, org)
	}
}
