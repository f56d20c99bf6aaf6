package caseaccess

import (
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// serviceLegal is the service of a referral for legal representation.
const serviceLegal = casebridgev1.ServiceKind_SERVICE_KIND_LEGAL

// The visibility rule. A case is visible to an organisation that owns it or
// that an accepted referral shares it with; the policy then decides what
// the organisation's members may do there. The SQL fragment and the Go
// predicate are the same rule: change them together.

// VisibleSQL is the SQL condition "the case aliased c is visible to one of
// the organisations orgs", an SQL text[] expression: a parameter ("$1") or
// a column made an array ("ARRAY[m.organization_id]"), never client text.
func VisibleSQL(c, orgs string) string {
	return fmt.Sprintf(`(%[1]s.organization_id = ANY(%[2]s) OR EXISTS (
		SELECT 1 FROM referrals r WHERE r.case_id = %[1]s.id AND %[3]s AND r.to_organization = ANY(%[2]s)))`,
		c, orgs, referral.AcceptedSQL("r"))
}

// VisibleTo reports whether the case is visible to one of orgs: the Go
// twin of VisibleSQL.
func (f Facts) VisibleTo(orgs ...string) bool {
	if slices.Contains(orgs, f.Owner) {
		return true
	}
	for _, s := range f.Shares {
		if slices.Contains(orgs, s.Org) {
			return true
		}
	}
	return false
}

// The legal-work rule. Court data of a case — its proceedings, hearings,
// deadlines, claims and payments, the court calendar — is reached, for
// reading as for writing, only by the owner and by an organisation that
// received an accepted referral for legal representation. A referral for
// shelter or medical care, whatever classes it grants, does not show where
// and when the person must appear in court.

// LegalSQL is the SQL condition "one of the organisations orgs (an SQL
// text[] expression, as for VisibleSQL) does legal work on the case aliased c".
func LegalSQL(c, orgs string) string {
	return fmt.Sprintf(`(%[1]s.organization_id = ANY(%[2]s) OR EXISTS (
		SELECT 1 FROM referrals r WHERE r.case_id = %[1]s.id AND %[3]s AND r.service = %[4]d
		  AND r.to_organization = ANY(%[2]s)))`,
		c, orgs, referral.AcceptedSQL("r"), int16(serviceLegal))
}

// LegalWorkBy reports whether org does legal work on the case: the Go twin
// of LegalSQL.
func (f Facts) LegalWorkBy(org string) bool {
	if org == f.Owner {
		return true
	}
	for _, s := range f.Shares {
		if s.Org == org && s.Service == serviceLegal {
			return true
		}
	}
	return false
}

// legalOnly is the facts with only the shares of organisations doing legal
// work: what a decision about court data may rely on. Two referrals to the
// same organisation add up, so all of a legal organisation's shares stay.
func (f Facts) legalOnly() Facts {
	out := f
	out.Shares = nil
	for _, s := range f.Shares {
		if f.LegalWorkBy(s.Org) {
			out.Shares = append(out.Shares, s)
		}
	}
	return out
}

// Court data objects of the policy: every decision on them applies the
// legal-work rule.
const (
	ObjProceeding = "proceeding"
	ObjHearing    = "hearing"
	ObjDeadline   = "deadline"
	ObjClaim      = "claim"
	ObjPayment    = "payment"
)

var courtObjects = []string{ObjProceeding, ObjHearing, ObjDeadline, ObjClaim, ObjPayment}

// IsCourtData reports whether obj is court data, reached only by legal work.
func IsCourtData(obj string) bool { return slices.Contains(courtObjects, obj) }
