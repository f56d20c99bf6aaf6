package compensation

import (
	"context"
	"errors"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// RecordPayment appends money received to a claim's ledger and settles the
// claim's status, in one transaction.
//
// Concurrent payments on one claim are serialised by the claim's row lock
// (taken after the case's): each reads the ledger total as the previous one
// committed it, so the total never passes the award unless an entry is
// marked as a correction, and a retried request (same request_id) finds the
// entry it made instead of paying twice.
func (s *Service) RecordPayment(ctx context.Context, req *casebridgev1.RecordPaymentRequest) (*casebridgev1.RecordPaymentResponse, error) {
	now := s.now()
	if err := checkMoney("amount", req.GetAmount()); err != nil {
		return nil, err
	}
	if err := checkDate("paid_date", req.GetPaidDate(), now); err != nil {
		return nil, err
	}
	claimID := req.GetClaimId()
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the claim's, and so bound to its case.
	once := requestid.Create{RequestID: req.GetRequestId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return paymentByRequest(ctx, q, claimID, rid)
		}}
	var entry *paymentRow
	c, ch, err := s.mutateClaim(ctx, claimID, objPayment, actCreate, func(tx pgx.Tx, p authz.Principal, c *claimRow) error {
		once.CaseID = c.CaseID
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			if err == nil {
				err = requestid.ErrRetried // answered after the rollback, as a read
			}
			return err
		}
		e, err := s.checkPayment(ctx, tx, req, c)
		if err != nil {
			return err
		}
		e.RecordedBy = p.Subject
		inserted, err := s.appendPayment(ctx, tx, e, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		entry = e
		c.Paid += e.Amount // checkPayment proved it fits
		settle(c)
		return nil
	})
	if errors.Is(err, requestid.ErrRetried) {
		id, err := once.Settle(ctx, s.pool, "", err)
		if err != nil {
			return nil, err
		}
		return s.recordedAgain(ctx, ch, claimID, id)
	}
	if err != nil {
		return nil, err
	}
	// The change's event names the class when the claim's texts changed;
	// otherwise the entry's payer and reason, written and answered, are put
	// on record by the read of the answer.
	out := &casebridgev1.RecordPaymentResponse{Payment: entry.toProto(), Claim: c.toProto()}
	if err := s.fileDocuments(ctx, s.pool, []*casebridgev1.Claim{out.Claim}, []authz.Access{ch.acc}); err != nil {
		return nil, err
	}
	if err := s.recordReturned(ctx, ch.acc.Org, ch.caseID, ch.written, claimLegal(out.Claim) || paymentLegal(out.Payment)); err != nil {
		return nil, err
	}
	return out, nil
}

// checkPayment decides whether req may be appended to the ledger of c (locked)
// and builds the entry.
func (s *Service) checkPayment(ctx context.Context, tx pgx.Tx, req *casebridgev1.RecordPaymentRequest, c *claimRow) (*paymentRow, error) {
	if err := checkEtag(c, req.GetEtag(), false); err != nil {
		return nil, err
	}
	if err := recordPayment.check(c.Status); err != nil {
		return nil, err
	}
	if c.Awarded == nil {
		return nil, rpcerr.FailedPrecondition("claim %s has no award to pay against: record the award first", c.ID)
	}
	m := req.GetAmount()
	if err := sameCurrency("amount", c.Currency, m); err != nil {
		return nil, err
	}
	if id := req.GetCorrectsPaymentId(); id != "" {
		fixed, err := s.paymentOf(ctx, tx, c.ID, id, "")
		if err != nil {
			return nil, err
		}
		if fixed == nil {
			return nil, rpcerr.InvalidArgument("corrects_payment_id", "%s is not an entry of claim %s", id, c.ID)
		}
	}
	total, ok := add(c.Paid, m.GetAmountMinor())
	switch {
	case !ok:
		return nil, rpcerr.InvalidArgument("amount.amount_minor", "the total paid would overflow")
	case total < 0:
		return nil, rpcerr.FailedPrecondition("this correction would take the total paid on claim %s below zero (%d → %d)", c.ID, c.Paid, total)
	case total > *c.Awarded && !req.GetCorrection():
		return nil, rpcerr.FailedPrecondition("a payment of %d would take the total paid on claim %s to %d, above the award of %d %s: mark it as a correction if more was really paid",
			m.GetAmountMinor(), c.ID, total, *c.Awarded, c.Currency)
	}
	e := &paymentRow{
		ID: uuid.NewString(), ClaimID: c.ID, Amount: m.GetAmountMinor(), Currency: c.Currency,
		CaseID: c.CaseID, PaidDate: req.GetPaidDate(), PayerKind: c.RespondentKind, PayerName: c.RespondentName,
		Correction: req.GetCorrection(), Corrects: req.GetCorrectsPaymentId(), Reason: req.GetReason(),
	}
	if payer := req.GetPayer(); payer != nil {
		e.PayerKind, e.PayerName = payer.GetKind(), payer.GetName()
	}
	return e, nil
}

// recordedAgain answers a retried payment with the entry the first attempt
// made and the claim as it is now, decrypted: a read of what it carries.
func (s *Service) recordedAgain(ctx context.Context, ch claimChange, claimID, id string) (*casebridgev1.RecordPaymentResponse, error) {
	entry, err := s.paymentOf(ctx, s.pool, claimID, id, "")
	if err != nil {
		return nil, err
	}
	if entry == nil {
		return nil, errors.New("retried payment: the first entry vanished")
	}
	c, err := s.getClaim(ctx, s.pool, claimID, false)
	if err != nil {
		return nil, err
	}
	out := &casebridgev1.RecordPaymentResponse{Payment: entry.toProto(), Claim: c.toProto()}
	if err := s.fileDocuments(ctx, s.pool, []*casebridgev1.Claim{out.Claim}, []authz.Access{ch.acc}); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, ch.acc.Org, ch.caseID, claimLegal(out.Claim) || paymentLegal(out.Payment)); err != nil {
		return nil, err
	}
	return out, nil
}

// ListPayments lists a claim's ledger, oldest entry first.
func (s *Service) ListPayments(ctx context.Context, req *casebridgev1.ListPaymentsRequest) (*casebridgev1.ListPaymentsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID, acc, err := s.claimAccess(ctx, s.pool, p, req.GetClaimId(), objPayment, authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetClaimId())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	var after int64
	if keys != nil {
		if after, err = strconv.ParseInt(keys[0], 10, 64); err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
	}
	rows, more, err := s.listPayments(ctx, s.pool, req.GetClaimId(), after, pagetoken.Size(req.GetPageSize(), 50, 500))
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListPaymentsResponse{}
	legal := false
	for _, e := range rows {
		m := e.toProto()
		resp.Payments = append(resp.Payments, m)
		legal = legal || paymentLegal(m)
	}
	if more && len(rows) > 0 {
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	// One claim's ledger: legal when an entry names its payer or a reason.
	if err := s.recordRead(ctx, acc.Org, caseID, legal); err != nil {
		return nil, err
	}
	return resp, nil
}
