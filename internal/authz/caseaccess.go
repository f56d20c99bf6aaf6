package authz

import (
	"slices"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// CaseInfo is what the authorization decision needs to know about a case:
// who owns it and with whom it is shared. Services load it with the case.
type CaseInfo struct {
	// OwnerOrg is the organisation that owns the case.
	OwnerOrg string
	// Shares are the accepted referrals of the case that grant another
	// organisation access.
	Shares []Share
}

// Share is an accepted referral: the receiving organisation and the data
// classes the referral grants it. Ceiling is the policy subject that bounds
// what the organisation may do there: ReferralCeiling when empty,
// FollowUpCeiling for a former owner following a transferred case.
type Share struct {
	Org     string
	Classes []dataclass.Class
	Ceiling string
}

// ceiling is the policy subject bounding sh.
func (sh Share) ceiling() string {
	if sh.Ceiling == "" {
		return ReferralCeiling
	}
	return sh.Ceiling
}

// Access is how a caller may use a case.
type Access struct {
	// Org is the organisation under which the caller acts: the owner, or the
	// receiving organisation of the referral that shares the case.
	Org string
	// Classes are the data classes the caller may read: their roles'
	// classes, narrowed to the referral's classes when Shared.
	Classes []dataclass.Class
	// Shared is true when the caller reaches the case through a referral.
	Shared bool
	// Ceiling is, when Shared, the policy subject that bounded the decision:
	// ReferralCeiling for a referral, FollowUpCeiling for a former owner
	// following the case (what such a caller is shown is caseaccess's).
	Ceiling string
}

// CanRead reports whether class is among the readable classes.
func (a Access) CanRead(class dataclass.Class) bool { return slices.Contains(a.Classes, class) }

// CaseAccess decides whether p may do act on obj for the case described by
// info (obj is "case" or an object that belongs to a case: "note",
// "consent", "proceeding", ...).
//
// The caller can see a case when a role they hold in the owning
// organisation allows reading cases, or when the case is shared with an
// organisation where one of their roles allows reading cases and the
// referral ceiling does too. If they cannot see it the error is ErrNotFound;
// if they can but no path allows act on obj it is ErrPermissionDenied. On a
// shared case the action must be allowed both by the caller's role and by
// the referral ceiling (policy subject ReferralCeiling): a receiving
// organisation reads and does legal work, it never changes or erases the
// owner's case.
//
// The owning organisation is tried first, so a caller who belongs to both
// acts as the owner.
func (e *Engine) CaseAccess(p Principal, info CaseInfo, obj, act string) (Access, error) {
	s := e.cur.Load()
	visible := false
	if info.OwnerOrg != "" && p.IsMember(info.OwnerOrg) && s.allowed(p, info.OwnerOrg, "case", ActRead) {
		visible = true
		if s.allowed(p, info.OwnerOrg, obj, act) {
			return Access{Org: info.OwnerOrg, Classes: s.classes(p, info.OwnerOrg, ActRead)}, nil
		}
	}
	for _, sh := range info.Shares {
		if sh.Org == "" || sh.Org == info.OwnerOrg || !p.IsMember(sh.Org) {
			continue
		}
		if !s.allowed(p, sh.Org, "case", ActRead) || !s.decide(sh.ceiling(), sh.Org, "case", ActRead) {
			continue
		}
		visible = true
		if !s.allowed(p, sh.Org, obj, act) || !s.decide(sh.ceiling(), sh.Org, obj, act) {
			continue
		}
		var classes []dataclass.Class
		for _, c := range s.classes(p, sh.Org, ActRead) {
			if sharedClass(info.Shares, sh.Org, c) {
				classes = append(classes, c)
			}
		}
		return Access{Org: sh.Org, Classes: classes, Shared: true, Ceiling: sh.ceiling()}, nil
	}
	if visible {
		return Access{}, ErrPermissionDenied
	}
	return Access{}, ErrNotFound
}

// sharedClass reports whether any accepted referral of the case to org
// grants class: two referrals to the same organisation add up.
func sharedClass(shares []Share, org string, class dataclass.Class) bool {
	for _, sh := range shares {
		if sh.Org == org && slices.Contains(sh.Classes, class) {
			return true
		}
	}
	return false
}
