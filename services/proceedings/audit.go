package proceedings

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/dataclass"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// A proceeding, its deadlines and its hearings hold no sensitive class of
// the case record except a hearing's notes (legal): events name the legal
// class when notes are written or returned, and none otherwise. Their free
// text (texts.go) is sealed for storage and shown to whoever may read the
// row, like its plain fields.

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

func classNames(classes []casebridgev1.DataClass) []string {
	if len(classes) == 0 {
		return nil
	}
	out := make([]string, 0, len(classes))
	for _, c := range classes {
		out = append(out, string(dataclass.Name(c)))
	}
	return out
}

// notesClass is the class notes are in when written is true, else none.
func notesClass(written bool) []casebridgev1.DataClass {
	if written {
		return []casebridgev1.DataClass{legal}
	}
	return nil
}

// returnedNotes lists the legal class when one of hearings carries notes
// in clear (a redacted hearing has none).
func returnedNotes(hearings ...*casebridgev1.Hearing) []casebridgev1.DataClass {
	for _, h := range hearings {
		if h.GetNotes() != "" {
			return []casebridgev1.DataClass{legal}
		}
	}
	return nil
}
