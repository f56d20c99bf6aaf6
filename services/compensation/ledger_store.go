package compensation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// paymentRow is one ledger entry. There is no save: entries are only ever
// inserted (the table's triggers refuse DELETE, and every UPDATE but the
// re-sealing of its texts).
type paymentRow struct {
	ID         string
	Seq        int64
	ClaimID    string
	CaseID     string
	Amount     int64
	Currency   string
	PaidDate   string
	PayerKind  casebridgev1.ClaimPartyKind
	PayerName  string
	Correction bool
	Corrects   string // "" when none
	Reason     string
	Texts      []byte // the sealed payer name and reason
	RecordedBy string
	CreateTime time.Time
}

func (e *paymentRow) toProto() *casebridgev1.Payment {
	out := &casebridgev1.Payment{
		Id:                e.ID,
		ClaimId:           e.ClaimID,
		Amount:            money(e.Currency, e.Amount),
		PaidDate:          e.PaidDate,
		Correction:        e.Correction,
		CorrectsPaymentId: e.Corrects,
		Reason:            e.Reason,
		RecordedBy:        e.RecordedBy,
		CreateTime:        timestamppb.New(e.CreateTime),
	}
	if e.PayerKind != casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_UNSPECIFIED || e.PayerName != "" {
		out.Payer = &casebridgev1.ClaimParty{Kind: e.PayerKind, Name: e.PayerName}
	}
	return out
}

const paymentColumns = `id, seq, claim_id, case_id, amount_minor, currency, to_char(paid_date, 'YYYY-MM-DD'),
	payer_kind, texts, correction, COALESCE(corrects_payment_id::text, ''), recorded_by, create_time`

func scanPayment(row pgx.Row) (*paymentRow, error) {
	var e paymentRow
	var kind int16
	err := row.Scan(&e.ID, &e.Seq, &e.ClaimID, &e.CaseID, &e.Amount, &e.Currency, &e.PaidDate,
		&kind, &e.Texts, &e.Correction, &e.Corrects, &e.RecordedBy, &e.CreateTime)
	if err != nil {
		return nil, err
	}
	e.PayerKind = casebridgev1.ClaimPartyKind(kind)
	return &e, nil
}

// paymentOf finds an entry of claimID by id or, when requestID is set, by
// the request that recorded it; nil when there is none.
func (s *Service) paymentOf(ctx context.Context, q db.Querier, claimID, id, requestID string) (*paymentRow, error) {
	e, err := scanPayment(q.QueryRow(ctx, "SELECT "+paymentColumns+` FROM claim_payments
		WHERE claim_id = $1 AND (($2::uuid IS NOT NULL AND id = $2) OR ($3::uuid IS NOT NULL AND request_id = $3))`,
		claimID, nullable(id), nullable(requestID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up payment of claim %s: %w", claimID, err)
	}
	return e, s.openPayment(ctx, q, e)
}

// paymentByRequest finds the entry recorded earlier on the claim with the
// same request id: its id and case, "" when there is none.
func paymentByRequest(ctx context.Context, q db.Querier, claimID, requestID string) (id, caseID string, err error) {
	err = q.QueryRow(ctx, `SELECT id, case_id FROM claim_payments WHERE claim_id = $1 AND request_id = $2`, claimID, requestID).Scan(&id, &caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up request %s: %w", requestID, err)
	}
	return id, caseID, nil
}

// appendPayment adds an entry to the ledger; ok is false when an entry with
// the same request id exists already.
func (s *Service) appendPayment(ctx context.Context, tx pgx.Tx, e *paymentRow, requestID *string) (bool, error) {
	t := paymentTexts{PayerName: e.PayerName, Reason: e.Reason}
	texts, err := s.sealTexts(ctx, tx, vault.PaymentTexts, e.CaseID, e.ID, t, t == paymentTexts{})
	if err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO claim_payments (id, claim_id, case_id, amount_minor, currency, paid_date, payer_kind, texts,
			correction, corrects_payment_id, recorded_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, NULLIF($10, '')::uuid, $11, $12)
		ON CONFLICT (claim_id, request_id) DO NOTHING
		RETURNING seq, create_time`,
		e.ID, e.ClaimID, e.CaseID, e.Amount, e.Currency, e.PaidDate, int16(e.PayerKind), texts,
		e.Correction, e.Corrects, e.RecordedBy, requestID).Scan(&e.Seq, &e.CreateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("append payment to claim %s: %w", e.ClaimID, err)
	}
	return true, nil
}

// listPayments returns up to limit entries of a claim after seq afterSeq,
// oldest first, and whether more follow.
func (s *Service) listPayments(ctx context.Context, q db.Querier, claimID string, afterSeq int64, limit int) ([]*paymentRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+paymentColumns+` FROM claim_payments
		WHERE claim_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, claimID, afterSeq, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list payments of claim %s: %w", claimID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*paymentRow, error) { return scanPayment(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list payments of claim %s: %w", claimID, err)
	}
	for _, e := range out {
		if err := s.openPayment(ctx, q, e); err != nil {
			return nil, false, err
		}
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// hasPayments reports whether the ledger of claim claimID holds any payment.
func hasPayments(ctx context.Context, q db.Querier, claimID string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM claim_payments WHERE claim_id = $1)`, claimID).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up payments of claim %s: %w", claimID, err)
	}
	return ok, nil
}
