package transfer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Status is a transfer's status; the number stored in case_transfers.status
// is the API enum's value.
type Status = casebridgev1.TransferStatus

// The statuses of a transfer.
const (
	Proposed  = casebridgev1.TransferStatus_TRANSFER_STATUS_PROPOSED
	Accepted  = casebridgev1.TransferStatus_TRANSFER_STATUS_ACCEPTED
	Declined  = casebridgev1.TransferStatus_TRANSFER_STATUS_DECLINED
	Cancelled = casebridgev1.TransferStatus_TRANSFER_STATUS_CANCELLED
)

// The consent purposes of a transfer: the person agrees that the receiver
// takes the case on (Purpose), and, separately, that the organisation handing
// it on may keep following its status (FollowUpPurpose).
const (
	Purpose         = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER
	FollowUpPurpose = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_FOLLOW_UP
)

// Stored is s as stored in case_transfers.status.
func Stored(s Status) int16 { return int16(s) }

// AcceptedSQL is the condition "the transfer aliased t was accepted": the
// case moved from t.from_organization to t.to_organization.
func AcceptedSQL(t string) string { return fmt.Sprintf("%s.status = %d", t, Stored(Accepted)) }

// ProposedSQL is the condition "the transfer aliased t waits for an answer".
func ProposedSQL(t string) string { return fmt.Sprintf("%s.status = %d", t, Stored(Proposed)) }

// Word is s as a lowercase word ("proposed"), for messages.
func Word(s Status) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "TRANSFER_STATUS_"))
}

// Side is who makes a transition.
type Side int

const (
	// Sender is the organisation that owns the case and offers it.
	Sender Side = iota
	// Receiver is the organisation offered the case.
	Receiver
)

// Transition is a status change: who may make it (the side, and the policy
// action on "transfer" their role needs), where it may start and where it
// leads. The table is the whole lifecycle:
//
//	proposed → accepted    (receiver: it becomes the owner)
//	proposed → declined    (receiver)
//	proposed → cancelled   (sender)
//
// Accepted, declined and cancelled are final: a case handed back is a new
// transfer the other way.
type Transition struct {
	Verb string
	Act  string
	By   Side
	From []Status
	To   Status
}

// The policy object of every transfer permission, and the action of a
// proposal.
const (
	Object     = "transfer"
	ActPropose = "propose"
)

// The transitions of a transfer.
var (
	Accept  = Transition{"accept", "respond", Receiver, []Status{Proposed}, Accepted}
	Decline = Transition{"decline", "respond", Receiver, []Status{Proposed}, Declined}
	Cancel  = Transition{"cancel", "cancel", Sender, []Status{Proposed}, Cancelled}
)

// Transitions lists the whole table.
func Transitions() []Transition { return []Transition{Accept, Decline, Cancel} }

// ActingOrg is the organisation that makes t on a transfer from sender to
// receiver.
func (t Transition) ActingOrg(sender, receiver string) string {
	if t.By == Sender {
		return sender
	}
	return receiver
}

// Check reports whether t may start from status, and when it may not a
// FailedPrecondition naming both statuses.
func (t Transition) Check(status Status) error {
	if slices.Contains(t.From, status) {
		return nil
	}
	words := make([]string, len(t.From))
	for i, s := range t.From {
		words[i] = Word(s)
	}
	return rpcerr.FailedPrecondition("cannot %s a transfer that is %s: %s → %s is not allowed (allowed from: %s)",
		t.Verb, Word(status), Word(status), Word(t.To), strings.Join(words, ", "))
}
