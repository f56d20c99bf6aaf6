package caseaccess

import (
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// serviceLegal is the service of a referral for legal representation.
const serviceLegal = casebridgev1.ServiceKind_SERVICE_KIND_LEGAL

// The visibility rule. A case is visible to an organisation that owns it,
// that an accepted referral shares it with, or that transferred it away and
// follows it under the person's follow-up consent (FollowersSQL); the
// policy then decides what the organisation's members may do there (a
// follower: only what the follow-up ceiling allows, the case's status). The
// SQL fragment and the Go predicate are the same rule: change them together.

// VisibleSQL is the SQL condition "the case aliased c is visible to one of
// the organisations orgs", an SQL text[] expression: a parameter ("$1") or
// a column made an array ("ARRAY[m.organization_id]"), never client text.
func VisibleSQL(c, orgs string) string {
	return fmt.Sprintf(`(%[3]s OR EXISTS (SELECT 1 FROM (%[4]s) f WHERE f.org = ANY(%[2]s)))`,
		c, orgs, WorkedOnSQL(c, orgs), FollowersSQL(c))
}

// WorkedOnSQL is VisibleSQL without the followers: the case aliased c is
// owned by one of orgs or shared with one of them by an accepted referral.
// A follower sees only FollowerView of a case, so a list filters on what
// that view leaves out (reference, owner, assignment, update time) only
// where this holds: a filter must not answer what the view withholds.
func WorkedOnSQL(c, orgs string) string {
	return fmt.Sprintf(`(%[1]s.organization_id = ANY(%[2]s) OR EXISTS (
		SELECT 1 FROM referrals r WHERE r.case_id = %[1]s.id AND %[3]s AND r.to_organization = ANY(%[2]s)))`,
		c, orgs, referral.AcceptedSQL("r"))
}

// FollowersSQL is a query, for the case aliased c, of the organisations
// that follow it (one column, org): each handed the case on by an accepted
// transfer, no longer owns it, and is named (by id or kind) by a follow-up
// consent of the person in force now. Withdrawn or lapsed, the consent no
// longer lets it see anything; without one a former owner keeps nothing.
func FollowersSQL(c string) string {
	return fmt.Sprintf(`SELECT DISTINCT t.from_organization AS org FROM case_transfers t
		WHERE t.case_id = %[1]s.id AND %[2]s AND t.from_organization <> %[1]s.organization_id AND %[3]s`,
		c, transfer.AcceptedSQL("t"), FollowUpConsentSQL(c, "t.from_organization"))
}

// FollowUpConsentSQL is the condition "the person of the case aliased c has
// a follow-up consent in force that names the organisation org" (an SQL
// expression for its id, never client text).
func FollowUpConsentSQL(c, org string) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM consents s WHERE s.case_id = %[1]s.id AND %[2]s AND %[3]s AND %[4]s)`,
		c, referral.PurposeSQL("s", transfer.FollowUpPurpose), referral.InForceSQL("s"), referral.CoversSQL("s", org))
}

// VisibleTo reports whether the case is visible to one of orgs: the Go
// twin of VisibleSQL (followers are among the shares).
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
// A follower does no legal work: it never reaches court data.
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
