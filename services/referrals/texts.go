package referrals

import (
	"context"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// referralTexts is the free text of a referral, sealed under the case key
// (vault.ReferralTexts). The JSON names are those of the plain columns
// older versions used, which sealed.Backfill moves here.
type referralTexts struct {
	Message       string `json:"message,omitempty"`
	DeclineReason string `json:"decline_reason,omitempty"`
	EndReason     string `json:"end_reason,omitempty"` // why the sender withdrew or revoked it
}

// sealTexts seals t for referral id of the case, in tx.
func (s *Service) sealTexts(ctx context.Context, tx db.Querier, caseID, id string, t referralTexts) ([]byte, error) {
	if t == (referralTexts{}) {
		return nil, nil
	}
	key, err := sealed.WriteKey(ctx, s.keys, tx, caseID)
	if errors.Is(err, sealed.ErrErased) {
		return nil, rpcerr.FailedPrecondition("case %s is erased", caseID)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	defer key.Wipe()
	return sealed.SealTexts(vault.ReferralTexts, key, caseID, id, t)
}

// openTexts fills in r's message, decline reason and end reason for
// reader. The sender reads them; the receiver reads them while the
// referral stands (it must read what it is asked), not once the sender
// withdrew or revoked it; once the case is erased its key is gone and they
// stay empty. Texts a reader may not see are dropped from r, so that the
// audit names no class for them.
func (s *Service) openTexts(ctx context.Context, q db.Querier, reader string, r *referralRow) error {
	if r.Texts != nil && reader != r.From && (r.Status == withdrawn || r.Status == revoked) {
		r.Texts = nil
	}
	if r.Texts == nil {
		return nil
	}
	key, err := sealed.ReadKey(ctx, s.keys, q, r.CaseID)
	if err != nil || key == nil {
		return err
	}
	defer key.Wipe()
	var t referralTexts
	if err := sealed.OpenTexts(vault.ReferralTexts, key, r.CaseID, r.ID, r.Texts, &t); err != nil {
		return fmt.Errorf("open texts of referral %s: %w", r.ID, err)
	}
	r.Message, r.DeclineReason = t.Message, t.DeclineReason
	if t.EndReason != "" {
		r.EndReason = t.EndReason
	}
	return nil
}

// textClasses is the class an audit event names when a response carries a
// referral's texts.
func textClasses(texts []byte) []string {
	if texts == nil {
		return nil
	}
	return []string{string(vault.ReferralTexts.Class())}
}
