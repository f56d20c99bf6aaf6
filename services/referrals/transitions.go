package referrals

import (
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// side is which organisation of a referral may make a transition.
type side int

const (
	receiver side = iota // the organisation asked to provide the service
	sender               // the organisation that made the referral (the case's owner)
)

// transition is a status change: who may make it (the side and the policy
// action on "referral" their role needs there), the states it may start
// from and the one it leads to. The table is the whole lifecycle:
//
//	pending → accepted → completed
//	pending → declined
//	pending, accepted → withdrawn (sender)
//	accepted → revoked (owner; also the server, when the consent goes)
type transition struct {
	verb  string
	act   string
	by    side
	from  []casebridgev1.ReferralStatus
	to    casebridgev1.ReferralStatus
	event casebridgev1.ReferralEventType
}

var (
	pending   = casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING
	accepted  = casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED
	declined  = casebridgev1.ReferralStatus_REFERRAL_STATUS_DECLINED
	completed = casebridgev1.ReferralStatus_REFERRAL_STATUS_COMPLETED
	withdrawn = casebridgev1.ReferralStatus_REFERRAL_STATUS_WITHDRAWN
	revoked   = casebridgev1.ReferralStatus_REFERRAL_STATUS_REVOKED

	accept = transition{"accept", "respond", receiver,
		[]casebridgev1.ReferralStatus{pending}, accepted, casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_ACCEPTED}
	decline = transition{"decline", "respond", receiver,
		[]casebridgev1.ReferralStatus{pending}, declined, casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_DECLINED}
	complete = transition{"complete", "complete", receiver,
		[]casebridgev1.ReferralStatus{accepted}, completed, casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_COMPLETED}
	withdraw = transition{"withdraw", "withdraw", sender,
		[]casebridgev1.ReferralStatus{pending, accepted}, withdrawn, casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_WITHDRAWN}
	revoke = transition{"revoke", "revoke", sender,
		[]casebridgev1.ReferralStatus{accepted}, revoked, casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_REVOKED}
)

// actingOrg is the organisation that makes t on r: the receiver or the
// sender, whichever side t belongs to.
func (t transition) actingOrg(r *referralRow) string {
	if t.by == sender {
		return r.From
	}
	return r.To
}

// check reports whether the transition may start from status, naming both
// states when it may not.
func (t transition) check(status casebridgev1.ReferralStatus) error {
	if slices.Contains(t.from, status) {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot %s a referral that is %s: %s → %s is not allowed (allowed from: %s)",
		t.verb, statusWord(status), statusWord(status), statusWord(t.to), statusWords(t.from))
}

// endsAccess reports whether the transition, from status, takes away the
// access an accepted referral granted.
func (t transition) endsAccess(status casebridgev1.ReferralStatus) bool {
	return status == accepted && t.to != accepted
}

func statusWord(s casebridgev1.ReferralStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REFERRAL_STATUS_"))
}

func statusWords(ss []casebridgev1.ReferralStatus) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = statusWord(s)
	}
	return strings.Join(words, ", ")
}
