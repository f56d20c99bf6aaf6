package compensation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Claims and payments keep amounts, dates, kinds and statuses plain; the
// names of respondents and payers and the reasons given (texts.go) are
// sealed in the legal class. A response that carries any of them in clear
// is a read of the legal class of its case and its event names the class
// (claimLegal, paymentLegal: from what the response actually holds); a
// change's event names it when the change wrote such text, and a response
// that returns text its change did not write adds a read event naming it.
// Every event of this service names the case and the organisation.

// legalClass is how the audit trail spells the class of these texts.
var legalClass = vault.ClaimTexts.Class()

// legalIf is the legal class when b holds, else none.
func legalIf(b bool) []dataclass.Class {
	if b {
		return []dataclass.Class{legalClass}
	}
	return nil
}

// recordRead writes the audit event of a read of case caseID acting for
// org, naming the legal class when legal text was returned; durable before
// it returns: a handler must not answer if it fails.
func (s *Service) recordRead(ctx context.Context, org, caseID string, legal bool) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Read(ctx, org, caseID, legalIf(legal))
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
// change's own transaction tx (both commit or neither does), naming the
// legal class when the change wrote legal text.
func (s *Service) recordChange(ctx context.Context, tx pgx.Tx, org, caseID string, written bool) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.InTx(ctx, tx, org, caseID, legalIf(written))
}

// recordReturned records the read of the legal text a mutation's response
// carries (returned), unless the call's change event already names the
// class (written).
func (s *Service) recordReturned(ctx context.Context, org, caseID string, written, returned bool) error {
	if !returned || written {
		return nil
	}
	return s.recordRead(ctx, org, caseID, true)
}

// claimLegal reports whether c carries legal text in clear.
func claimLegal(c *casebridgev1.Claim) bool {
	return c.GetRespondent().GetName() != "" || c.GetStatusReason() != ""
}

// paymentLegal reports whether e carries legal text in clear.
func paymentLegal(e *casebridgev1.Payment) bool {
	return e.GetPayer().GetName() != "" || e.GetReason() != ""
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
