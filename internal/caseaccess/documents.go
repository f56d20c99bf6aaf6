package caseaccess

import (
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
)

// DocumentSight is which documents of a case a caller sees: those of a
// class its access reads (a receiver: only the classes its referral
// grants), and those filed with court data (a hearing or a claim) only
// where its organisation reaches the court data, as the owner and the
// organisations doing legal work on the case do. It is the one rule for
// listing, opening and naming documents: DocumentService and the ids that
// consents, hearings and claims carry follow it alike.
type DocumentSight struct {
	access authz.Access
	court  bool
}

// SightOf is the document sight of a caller reaching case f with acc.
func SightOf(acc authz.Access, f Facts) DocumentSight {
	return DocumentSight{access: acc, court: f.LegalWorkBy(acc.Org)}
}

// CourtSight is the document sight of a caller the gate let reach court
// data of the case (a hearing, a claim) with acc: reaching it is what lets
// documents filed with court data be seen.
func CourtSight(acc authz.Access) DocumentSight { return DocumentSight{access: acc, court: true} }

// Sees reports whether a document of class, filed with court data or not,
// is within sight.
func (s DocumentSight) Sees(class dataclass.Class, court bool) bool {
	return s.access.CanRead(class) && (!court || s.court)
}

// Court reports whether documents filed with court data are within sight.
func (s DocumentSight) Court() bool { return s.court }
