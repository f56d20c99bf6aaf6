package proceedings

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/doclinks"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// sealKey returns the key to seal notes of case caseID under. A case that
// has no key yet (imported without sensitive data) gets one now, wrapped to
// its owner; an erased case takes nothing new.
func (s *Service) sealKey(ctx context.Context, tx pgx.Tx, caseID string) (*vault.CaseKey, error) {
	facts, err := caseFacts(ctx, tx, caseID)
	if err != nil {
		return nil, err
	}
	if facts.Erased {
		return nil, rpcerr.FailedPrecondition("case %s is erased: hearing notes can no longer be stored for it", caseID)
	}
	key, err := s.keys.CaseKey(ctx, tx, caseID)
	if errors.Is(err, keys.ErrNoCaseKey) {
		key, err = s.keys.CreateCaseKey(ctx, tx, caseID, facts.Owner)
		if errors.Is(err, keys.ErrCaseKeyExists) {
			// The case has wrapped keys, none of which this server can unwrap.
			return nil, rpcerr.FailedPrecondition("the key of case %s is not available on this server, so hearing notes cannot be sealed: the case's keys must be granted to a key this server holds", caseID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	return key, nil
}

// sealNotes encrypts notes for hearing h; empty notes are stored as none.
func (s *Service) sealNotes(ctx context.Context, tx pgx.Tx, h *hearingRow, notes string) error {
	if notes == "" {
		h.Notes = nil
		return nil
	}
	key, err := s.sealKey(ctx, tx, h.CaseID)
	if err != nil {
		return err
	}
	defer key.Wipe()
	ct, err := vault.HearingNotes.Seal(key, h.CaseID, h.ID, dataclass.Legal, []byte(notes))
	if err != nil {
		return fmt.Errorf("encrypt notes of hearing %s: %w", h.ID, err)
	}
	h.Notes = ct
	return nil
}

// renderHearings turns rows into API messages. Notes are decrypted only
// when full is set and the caller may read them; otherwise a hearing that
// has notes lists the legal class as redacted. An erased case's notes are
// unreadable by design (its key was shredded) and are reported as redacted
// too. acc is the caller's access to the rows' case.
func (s *Service) renderHearings(ctx context.Context, q db.Querier, p authz.Principal, acc authz.Access, rows []*hearingRow, full bool) ([]*casebridgev1.Hearing, error) {
	open := full && s.notesReadable(p, acc)
	opened := map[string]*vault.CaseKey{} // nil value: the case was erased
	defer func() {
		for _, k := range opened {
			if k != nil {
				k.Wipe()
			}
		}
	}()
	out := make([]*casebridgev1.Hearing, 0, len(rows))
	for _, h := range rows {
		m := h.toProto()
		out = append(out, m)
		if h.Notes == nil {
			continue
		}
		if !open {
			m.RedactedClasses = []casebridgev1.DataClass{dataclass.Legal.Proto()}
			continue
		}
		key, ok := opened[h.CaseID]
		if !ok {
			k, err := s.openKey(ctx, q, h.CaseID)
			if err != nil {
				return nil, err
			}
			opened[h.CaseID], key = k, k
		}
		if key == nil {
			m.RedactedClasses = []casebridgev1.DataClass{dataclass.Legal.Proto()}
			continue
		}
		plain, err := vault.HearingNotes.Open(key, h.CaseID, h.ID, dataclass.Legal, h.Notes)
		if err != nil {
			return nil, fmt.Errorf("decrypt notes of hearing %s: %w", h.ID, err)
		}
		m.Notes = string(plain)
		clear(plain)
	}
	return out, s.fileDocuments(ctx, q, acc, out)
}

// openKey returns the case key to open notes with, or nil when the case was
// erased and its key shredded.
func (s *Service) openKey(ctx context.Context, q db.Querier, caseID string) (*vault.CaseKey, error) {
	key, err := s.keys.CaseKey(ctx, q, caseID)
	if errors.Is(err, keys.ErrNoCaseKey) {
		facts, ferr := caseFacts(ctx, q, caseID)
		if ferr != nil {
			return nil, ferr
		}
		if facts.Erased {
			return nil, nil
		}
		return nil, rpcerr.FailedPrecondition("the key of case %s is not available on this server, so hearing notes cannot be opened", caseID)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	return key, nil
}

// fileDocuments sets the ids of the documents filed with each hearing that
// the caller sees. A caller reaching a hearing reaches the case's court
// data, so the classes acc reads decide.
func (s *Service) fileDocuments(ctx context.Context, q db.Querier, acc authz.Access, hearings []*casebridgev1.Hearing) error {
	sight := make(map[string]caseaccess.DocumentSight, len(hearings))
	for _, h := range hearings {
		sight[h.GetId()] = caseaccess.CourtSight(acc)
	}
	ids, err := doclinks.IDs(ctx, q, doclinks.Hearing, sight)
	if err != nil {
		return err
	}
	for _, h := range hearings {
		h.DocumentIds = ids[h.GetId()]
	}
	return nil
}
