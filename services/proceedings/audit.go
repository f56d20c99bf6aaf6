package proceedings

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/dataclass"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// A proceeding, its deadlines and its hearings hold their free text — court,
// docket number, charges, strategic goal, sentence, hearing outcomes and
// notes, deadline descriptions, cancellation reasons — sealed in the legal
// class (texts.go, notes.go). A response that carries any of it in clear is
// a read of the legal class of its case, and its event names the class
// (legalIn and friends below, from what the response actually holds); a
// change's event names it when the change wrote legal text. A response
// that returns legal text its change did not write (a retried create, a
// stage advanced on a proceeding with a court) adds a read event naming it.

// recordRead writes the audit event of a read of case caseID acting for
// org, naming the sensitive classes returned; it is durable before it
// returns, and a handler must not answer if it fails.
func (s *Service) recordRead(ctx context.Context, org, caseID string, classes ...casebridgev1.DataClass) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Read(ctx, org, caseID, classNames(classes))
}

// recordReads writes a read event for every case a list response returns;
// durable before it returns, and a handler must not answer if it fails.
func (s *Service) recordReads(ctx context.Context, r *audit.ReadSet) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.ReadMany(ctx, r.Reads())
}

// recordChange writes the audit event of a change to case caseID, naming
// the sensitive classes written, in the change's own transaction tx: both
// commit or neither does.
func (s *Service) recordChange(ctx context.Context, tx pgx.Tx, org, caseID string, classes ...casebridgev1.DataClass) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.InTx(ctx, tx, org, caseID, classNames(classes))
}

// concerns names the case a call is about, and the organisation the caller
// acts for once it is known, so that the interceptor's event of a failed
// call carries them even when the request named neither (a proceeding,
// hearing or deadline id). It does nothing outside an audited call.
func concerns(ctx context.Context, org, caseID string) {
	if caseID != "" {
		audit.SetCase(ctx, caseID)
	}
	if org != "" {
		audit.SetOrg(ctx, org)
	}
}

func classNames(classes []casebridgev1.DataClass) []dataclass.Class {
	if len(classes) == 0 {
		return nil
	}
	return dataclass.FromProtos(classes)
}

// legalIf is the legal class when b holds, else none.
func legalIf(b bool) []casebridgev1.DataClass {
	if b {
		return []casebridgev1.DataClass{dataclass.Legal.Proto()}
	}
	return nil
}

// legalNames is legalIf as the audit trail spells classes.
func legalNames(b bool) []dataclass.Class { return classNames(legalIf(b)) }

// recordReturned records the read of the legal text a mutation's response
// carries (returned), unless the call's change event already names the
// class (written).
func (s *Service) recordReturned(ctx context.Context, org, caseID string, written, returned bool) error {
	if !returned || written {
		return nil
	}
	return s.recordRead(ctx, org, caseID, dataclass.Legal.Proto())
}

// proceedingLegal reports whether p carries legal text in clear.
func proceedingLegal(p *casebridgev1.Proceeding) bool {
	return p.GetCourt() != "" || p.GetDocketNumber() != "" || len(p.GetCharges()) > 0 ||
		p.GetStrategicGoal() != "" || p.GetOutcome().GetSentence() != ""
}

// hearingLegal reports whether h carries legal text in clear: its notes
// (a redacted hearing has none), outcome or cancellation reason.
func hearingLegal(h *casebridgev1.Hearing) bool {
	return h.GetNotes() != "" || h.GetOutcome() != "" || h.GetCancelReason() != ""
}

// deadlineLegal reports whether d carries legal text in clear.
func deadlineLegal(d *casebridgev1.Deadline) bool {
	return d.GetDescription() != "" || d.GetCancelReason() != ""
}

// itemLegal reports whether a calendar entry carries legal text in clear:
// its proceeding's court or docket number, or its hearing's or deadline's.
func itemLegal(it *casebridgev1.UpcomingItem) bool {
	if it.GetCourt() != "" || it.GetDocketNumber() != "" {
		return true
	}
	if h := it.GetHearing(); h != nil {
		return hearingLegal(h)
	}
	return deadlineLegal(it.GetDeadline())
}

// hearingsLegal reports whether any of hs carries legal text in clear.
func hearingsLegal(hs []*casebridgev1.Hearing) bool {
	return slices.ContainsFunc(hs, hearingLegal)
}

// deadlinesLegal reports whether any of ds carries legal text in clear.
func deadlinesLegal(ds []*casebridgev1.Deadline) bool {
	return slices.ContainsFunc(ds, deadlineLegal)
}
