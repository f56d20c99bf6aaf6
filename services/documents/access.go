package documents

import (
	"context"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// reach loads document id and decides whether p may do act on it. A
// document p may not read — its case out of reach, documents of the case
// not readable by p at all (a former owner following the case), its class
// not readable by p (or not granted by the referral p reaches the case
// through), or filed with a hearing or claim that p's organisation does no
// legal work on — is NotFound, exactly like one that does not exist,
// whatever act is asked: the read is decided first, so that no refusal of
// another act confirms that the id names a document, or of which case.
func (s *Service) reach(ctx context.Context, q db.Querier, p authz.Principal, id, act string, lock bool) (*row, authz.Access, caseaccess.Facts, error) {
	d, err := getRow(ctx, q, id)
	if err != nil {
		return nil, authz.Access{}, caseaccess.Facts{}, err
	}
	if d == nil {
		return nil, authz.Access{}, caseaccess.Facts{}, documentNotFound(id)
	}
	f, err := caseaccess.Load(ctx, q, d.CaseID, lock)
	if errors.Is(err, caseaccess.ErrNoCase) {
		return nil, authz.Access{}, caseaccess.Facts{}, documentNotFound(id)
	}
	if err != nil {
		return nil, authz.Access{}, caseaccess.Facts{}, err
	}
	acc, err := s.gate.Decide(p, f, object, authz.ActRead)
	if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrPermissionDenied) || err == nil && !readable(acc, f, d) {
		return nil, authz.Access{}, caseaccess.Facts{}, documentNotFound(id)
	}
	if err != nil {
		return nil, authz.Access{}, caseaccess.Facts{}, fmt.Errorf("decide access to document %s: %w", id, err)
	}
	if act != authz.ActRead {
		if acc, err = s.gate.Resolve(p, f, object, act, documentNotFound(id)); err != nil {
			return nil, authz.Access{}, caseaccess.Facts{}, err
		}
	}
	return d, acc, f, nil
}

// shown is doc as p, reaching case f, is shown it: the id of the hearing
// or claim it is filed with only if p may read that hearing or claim (the
// gate's decision, with the legal-work rule). The owner's caseworkers see a
// document filed with a hearing, since the owner reaches its court data,
// but hearings are for lawyers, and a hearing's id is shown to nobody else
// (as tasks about hearings withhold it too).
func (s *Service) shown(p authz.Principal, f caseaccess.Facts, doc *casebridgev1.Document) *casebridgev1.Document {
	if doc.GetHearingId() != "" {
		if _, err := s.gate.Decide(p, f, caseaccess.ObjHearing, authz.ActRead); err != nil {
			doc.HearingId = ""
		}
	}
	if doc.GetClaimId() != "" {
		if _, err := s.gate.Decide(p, f, caseaccess.ObjClaim, authz.ActRead); err != nil {
			doc.ClaimId = ""
		}
	}
	return doc
}

// readable reports whether a caller reaching d's case with acc sees d
// (caseaccess.DocumentSight is the rule).
func readable(acc authz.Access, f caseaccess.Facts, d *row) bool {
	return caseaccess.SightOf(acc, f).Sees(d.Class, d.court())
}

// checkLinks checks what an upload's metadata points to: a consent of the
// same case, or a hearing or claim of the same case that p reaches (court
// data: the owner and the organisations doing legal work). One the caller
// may not reach is refused with the same words as one that does not exist.
func (s *Service) checkLinks(ctx context.Context, q db.Querier, p authz.Principal, f caseaccess.Facts, md *casebridgev1.DocumentMetadata) error {
	if md.GetHearingId() != "" && md.GetClaimId() != "" {
		return rpcerr.InvalidArgument("metadata.claim_id", "a document is filed with a hearing or a claim, not both")
	}
	links := []struct{ field, table, obj, id string }{
		{"metadata.consent_id", "consents", "consent", md.GetConsentId()},
		{"metadata.hearing_id", "hearings", caseaccess.ObjHearing, md.GetHearingId()},
		{"metadata.claim_id", "claims", caseaccess.ObjClaim, md.GetClaimId()},
	}
	for _, l := range links {
		if l.id == "" {
			continue
		}
		missing := rpcerr.InvalidArgument(l.field, "case %s has no %s %s that you may reach", f.ID, l.table[:len(l.table)-1], l.id)
		if _, err := s.gate.Decide(p, f, l.obj, authz.ActRead); err != nil {
			return missing
		}
		ok, err := belongs(ctx, q, l.table, l.id, f.ID)
		if err != nil {
			return err
		}
		if !ok {
			return missing
		}
	}
	return nil
}

func optional(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}
