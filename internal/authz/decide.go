package authz

import "github.com/casebridge/casebridge/internal/dataclass"

// Every sensitive data class (dataclass.All) is a policy object, spelt as
// the class word, with the actions "read" and "write".

// Class actions.
const (
	ActRead  = "read"
	ActWrite = "write"
)

// ReferralCeiling is the policy subject that bounds what a receiving
// organisation may do with a case shared with it by an accepted referral.
// It is not a role: a membership row naming it is ignored.
const ReferralCeiling = "via_referral"

// FollowUpCeiling is the policy subject that bounds what an organisation
// may do with a case it transferred away and follows under the person's
// follow-up consent: see its status. Like ReferralCeiling, not a role.
const FollowUpCeiling = "via_follow_up"

// Allowed reports whether any role p holds in org allows act on obj there.
// It says nothing about a particular case: for that use CaseAccess.
func (e *Engine) Allowed(p Principal, org, obj, act string) bool {
	return e.cur.Load().allowed(p, org, obj, act)
}

// AllowedAnywhere reports whether p holds, in at least one organisation, a
// role that allows act on obj. It is the method-level check: it rejects
// early a caller who could not do this in any organisation, and the handler
// then checks the organisation the request is about.
func (e *Engine) AllowedAnywhere(p Principal, obj, act string) bool {
	s := e.cur.Load()
	for org := range p.Memberships {
		if s.allowed(p, org, obj, act) {
			return true
		}
	}
	return false
}

// OrgsAllowed returns the organisations in which p may do act on obj, for
// handlers that list across the caller's organisations (ListCases).
func (e *Engine) OrgsAllowed(p Principal, obj, act string) []string {
	s := e.cur.Load()
	var orgs []string
	for org := range p.Memberships {
		if s.allowed(p, org, obj, act) {
			orgs = append(orgs, org)
		}
	}
	return orgs
}

// ReadableClasses returns the data classes p's roles in org may read, in
// the order of dataclass.All. For a case shared by referral, CaseAccess
// narrows this further to the classes the referral grants.
func (e *Engine) ReadableClasses(p Principal, org string) []dataclass.Class {
	return e.cur.Load().classes(p, org, ActRead)
}

// WritableClasses returns the data classes p's roles in org may write.
func (e *Engine) WritableClasses(p Principal, org string) []dataclass.Class {
	return e.cur.Load().classes(p, org, ActWrite)
}

func (s *snapshot) allowed(p Principal, org, obj, act string) bool {
	for _, role := range p.Memberships[org] {
		if role == ReferralCeiling || role == FollowUpCeiling || role == "" {
			continue
		}
		if s.decide(role, org, obj, act) {
			return true
		}
	}
	return false
}

func (s *snapshot) classes(p Principal, org, act string) []dataclass.Class {
	var out []dataclass.Class
	for _, c := range dataclass.All {
		if s.allowed(p, org, string(c), act) {
			if out == nil {
				out = make([]dataclass.Class, 0, len(dataclass.All))
			}
			out = append(out, c)
		}
	}
	return out
}
