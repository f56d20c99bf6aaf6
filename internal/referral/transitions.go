package referral

import (
	"slices"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// EventType is what a referral event reports; the number stored in
// referral_events.event_type is the API enum's value.
type EventType = casebridgev1.ReferralEventType

// The events of a referral besides its transitions' own.
const (
	// EventCreated: a referral was made (pending).
	EventCreated = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CREATED
	// EventCaseStatusChanged: the case of an accepted referral changed
	// status (closed, suspended, reopened).
	EventCaseStatusChanged = casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CASE_STATUS_CHANGED
)

// Side is who makes a transition.
type Side int

const (
	// Receiver is the organisation asked to provide the service.
	Receiver Side = iota
	// Sender is the organisation that made the referral (the case's owner).
	Sender
	// Server is Casebridge itself, when the ground of a referral goes: the
	// consent it relies on is withdrawn or lapses, or the case is erased.
	Server
)

// Transition is a status change: who may make it (the side, and the policy
// action on "referral" their role needs there), the statuses it may start
// from, the one it leads to and the event it writes. The table is the
// whole lifecycle:
//
//	pending → accepted → completed          (receiver)
//	pending → declined                      (receiver)
//	pending, accepted → withdrawn           (sender)
//	accepted → revoked                      (sender: the owner revokes sharing)
//	pending, accepted → revoked             (server: the consent went, or the case was erased)
type Transition struct {
	Verb  string
	Act   string // the policy action; "" for the server's own
	By    Side
	From  []Status
	To    Status
	Event EventType
}

// The transitions of a referral.
var (
	Accept = Transition{"accept", "respond", Receiver, []Status{Pending}, Accepted,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_ACCEPTED}
	Decline = Transition{"decline", "respond", Receiver, []Status{Pending}, Declined,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_DECLINED}
	Complete = Transition{"complete", "complete", Receiver, []Status{Accepted}, Completed,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_COMPLETED}
	Withdraw = Transition{"withdraw", "withdraw", Sender, open, Withdrawn,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_WITHDRAWN}
	Revoke = Transition{"revoke", "revoke", Sender, []Status{Accepted}, Revoked,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_REVOKED}
	// End is the server's own transition: every open referral that loses
	// its ground (EndConsent, EndAll, EndExpired) is revoked. Its From is
	// what OpenSQL selects.
	End = Transition{"end", "", Server, open, Revoked,
		casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_REVOKED}
)

// Transitions lists the whole table.
func Transitions() []Transition {
	return []Transition{Accept, Decline, Complete, Withdraw, Revoke, End}
}

// ActingOrg is the organisation that makes t on a referral from sender to
// receiver: the receiver or the sender, whichever side t belongs to ("" for
// the server's own).
func (t Transition) ActingOrg(sender, receiver string) string {
	switch t.By {
	case Sender:
		return sender
	case Receiver:
		return receiver
	}
	return ""
}

// Check reports whether t may start from status, and when it may not a
// FailedPrecondition naming both statuses.
func (t Transition) Check(status Status) error {
	if slices.Contains(t.From, status) {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot %s a referral that is %s: %s → %s is not allowed (allowed from: %s)",
		t.Verb, Word(status), Word(status), Word(t.To), Words(t.From))
}

// EndsAccess reports whether t, from status, takes away the access an
// accepted referral granted (the receiver then loses the case key).
func (t Transition) EndsAccess(status Status) bool { return Shares(status) && !Shares(t.To) }

// TakesReason reports whether t keeps a reason the caller gives: a
// decline's, or why the referral was withdrawn or revoked.
func (t Transition) TakesReason() bool {
	return t.To == Declined || t.To == Withdrawn || t.To == Revoked
}

// WorkedOn reports whether a referral in status s means its receiver took
// the case on at some point: accepted, and maybe completed since. Such a
// receiver is a partner of the case in the coordination view.
func WorkedOn(s Status) bool { return s == Accepted || s == Completed }

// PurposeFor is the consent purpose a referral for svc needs: legal work
// needs consent to legal representation, every other service consent to
// assistance.
func PurposeFor(svc casebridgev1.ServiceKind) casebridgev1.ConsentPurpose {
	if svc == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
		return casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
	}
	return casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
}

// ReceiverReadsTexts reports whether the receiver of a referral in status
// s reads its texts (the message, the decline reason): while it is asked
// (pending) and while it serves the person (accepted). Once it declined,
// completed the work, or the referral was withdrawn or revoked, it is a
// past partner and reads no more of the case than the case grants it.
func ReceiverReadsTexts(s Status) bool { return s == Pending || s == Accepted }
