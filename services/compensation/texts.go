package compensation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// The names of respondents and payers, and the reasons given for a
// claim's status or a correction, are free text about the person's case:
// each row keeps them in one sealed column (vault.ClaimTexts,
// PaymentTexts), in the legal class; kinds, statuses, dates and amounts
// stay plain for the figures. The JSON names are those of the plain
// columns older versions used (sealed.Backfill moves them). The stores
// seal on write and open on read: whoever may read the row reads its
// texts, and once the case is erased they read empty.

type claimTexts struct {
	RespondentName string `json:"respondent_name,omitempty"`
	StatusReason   string `json:"status_reason,omitempty"`
}

type paymentTexts struct {
	PayerName string `json:"payer_name,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// sealTexts seals t for row id of the case in column c, in tx; an empty
// t is no ciphertext. An erased case takes nothing new.
func (s *Service) sealTexts(ctx context.Context, tx pgx.Tx, c *vault.Column, caseID, id string, t any, empty bool) ([]byte, error) {
	return sealed.SealRow(ctx, s.keys, tx, c, caseID, id, t, empty)
}

// openTexts opens ct into t; without a usable case key (an erased case) t
// stays empty.
func (s *Service) openTexts(ctx context.Context, q db.Querier, c *vault.Column, caseID, id string, ct []byte, t any) error {
	return sealed.OpenRow(ctx, s.keys, q, c, caseID, id, ct, t)
}

func (c *claimRow) texts() claimTexts {
	return claimTexts{RespondentName: c.RespondentName, StatusReason: c.StatusReason}
}

func (e *paymentRow) texts() paymentTexts {
	return paymentTexts{PayerName: e.PayerName, Reason: e.Reason}
}

func (s *Service) openClaim(ctx context.Context, q db.Querier, c *claimRow) error {
	var t claimTexts
	if err := s.openTexts(ctx, q, vault.ClaimTexts, c.CaseID, c.ID, c.Texts, &t); err != nil {
		return err
	}
	c.RespondentName, c.StatusReason = t.RespondentName, t.StatusReason
	return nil
}

func (s *Service) openClaims(ctx context.Context, q db.Querier, cs []*claimRow) error {
	for _, c := range cs {
		if err := s.openClaim(ctx, q, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) openPayment(ctx context.Context, q db.Querier, e *paymentRow) error {
	var t paymentTexts
	if err := s.openTexts(ctx, q, vault.PaymentTexts, e.CaseID, e.ID, e.Texts, &t); err != nil {
		return err
	}
	e.PayerName, e.Reason = t.PayerName, t.Reason
	return nil
}
