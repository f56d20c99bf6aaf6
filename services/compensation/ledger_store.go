package compensation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/db"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// paymentRow is one ledger entry. There is no save: entries are only ever
// inserted (the table's trigger refuses UPDATE and DELETE).
type paymentRow struct {
	ID         string
	Seq        int64
	ClaimID    string
	Amount     int64
	Currency   string
	PaidDate   string
	PayerKind  casebridgev1.ClaimPartyKind
	PayerName  string
	Correction bool
	Corrects   string // "" when none
	Reason     string
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

const paymentColumns = `id, seq, claim_id, amount_minor, currency, to_char(paid_date, 'YYYY-MM-DD'),
	payer_kind, payer_name, correction, COALESCE(corrects_payment_id::text, ''), reason, recorded_by, create_time`

func scanPayment(row pgx.Row) (*paymentRow, error) {
	var e paymentRow
	var kind int16
	err := row.Scan(&e.ID, &e.Seq, &e.ClaimID, &e.Amount, &e.Currency, &e.PaidDate,
		&kind, &e.PayerName, &e.Correction, &e.Corrects, &e.Reason, &e.RecordedBy, &e.CreateTime)
	if err != nil {
		return nil, err
	}
	e.PayerKind = casebridgev1.ClaimPartyKind(kind)
	return &e, nil
}

// paymentOf finds an entry of claimID by id or, when requestID is set, by
// the request that recorded it; nil when there is none.
func paymentOf(ctx context.Context, q db.Querier, claimID, id, requestID string) (*paymentRow, error) {
	e, err := scanPayment(q.QueryRow(ctx, "SELECT "+paymentColumns+` FROM claim_payments
		WHERE claim_id = $1 AND (($2::uuid IS NOT NULL AND id = $2) OR ($3::uuid IS NOT NULL AND request_id = $3))`,
		claimID, nullable(id), nullable(requestID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up payment of claim %s: %w", claimID, err)
	}
	return e, nil
}

// appendPayment adds an entry to the ledger; ok is false when an entry with
// the same request id exists already.
func appendPayment(ctx context.Context, tx pgx.Tx, e *paymentRow, requestID *string) (bool, error) {
	err := tx.QueryRow(ctx, `
		INSERT INTO claim_payments (id, claim_id, amount_minor, currency, paid_date, payer_kind, payer_name,
			correction, corrects_payment_id, reason, recorded_by, request_id)
		VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, NULLIF($9, '')::uuid, $10, $11, $12)
		ON CONFLICT (claim_id, request_id) DO NOTHING
		RETURNING seq, create_time`,
		e.ID, e.ClaimID, e.Amount, e.Currency, e.PaidDate, int16(e.PayerKind), e.PayerName,
		e.Correction, e.Corrects, e.Reason, e.RecordedBy, requestID).Scan(&e.Seq, &e.CreateTime)
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
func listPayments(ctx context.Context, q db.Querier, claimID string, afterSeq int64, limit int) ([]*paymentRow, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+paymentColumns+` FROM claim_payments
		WHERE claim_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, claimID, afterSeq, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list payments of claim %s: %w", claimID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*paymentRow, error) { return scanPayment(r) })
	if err != nil {
		return nil, false, fmt.Errorf("list payments of claim %s: %w", claimID, err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
