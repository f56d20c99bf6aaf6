package referrals

import (
	"context"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/referral"
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
	return sealed.SealRow(ctx, s.keys, tx, vault.ReferralTexts, caseID, id, t, t == referralTexts{})
}

// openTexts fills in r's message, decline reason and end reason for
// reader. The sender reads them while it owns the case (once it has
// transferred the case it keeps nothing of it, as an ended receiver); the receiver reads them only while the
// referral is pending or accepted (referral.ReceiverReadsTexts), not once
// it declined, completed, or was withdrawn or revoked; once the case is
// erased its key is gone and they stay empty. Texts a reader may not see are dropped from r, so that the
// audit names no class for them.
func (s *Service) openTexts(ctx context.Context, q db.Querier, reader string, r *referralRow) error {
	return s.openTextsAt(ctx, q, reader, r, r.Status)
}

// openTextsAt is openTexts judged as if r were in status: the response of
// a transition shows the caller what it could read when it made the call
// (a receiver declining reads back the reason it gave), while every later
// read is judged by the status the transition left.
func (s *Service) openTextsAt(ctx context.Context, q db.Querier, reader string, r *referralRow, status referral.Status) error {
	if r.Texts != nil && !readsTexts(reader, r, status) {
		r.Texts = nil
	}
	if r.Texts == nil {
		return nil
	}
	var t referralTexts
	if err := sealed.OpenRow(ctx, s.keys, q, vault.ReferralTexts, r.CaseID, r.ID, r.Texts, &t); err != nil {
		return err
	}
	r.Message, r.DeclineReason = t.Message, t.DeclineReason
	if t.EndReason != "" {
		r.EndReason = t.EndReason
	}
	return nil
}

// readsTexts reports whether reader may read the texts of r, judged as if
// r were in status: the sender while it still owns the case, the receiver
// while referral.ReceiverReadsTexts.
func readsTexts(reader string, r *referralRow, status referral.Status) bool {
	if reader == r.From {
		return caseaccess.SenderHolds(r.CaseOwner, r.From)
	}
	return referral.ReceiverReadsTexts(status)
}

// textClasses is the class an audit event names when a response carries a
// referral's texts.
func textClasses(texts []byte) []dataclass.Class {
	if texts == nil {
		return nil
	}
	return []dataclass.Class{vault.ReferralTexts.Class()}
}
