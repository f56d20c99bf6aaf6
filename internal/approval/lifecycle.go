package approval

import (
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Status is a request's status; the number stored in approvals.status is
// the API enum's value.
type Status = casebridgev1.ApprovalStatus

// Subject is what a request asks approval of; stored as the enum's value.
type Subject = casebridgev1.ApprovalSubject

// The statuses and subjects.
const (
	Pending  = casebridgev1.ApprovalStatus_APPROVAL_STATUS_PENDING
	Approved = casebridgev1.ApprovalStatus_APPROVAL_STATUS_APPROVED
	Rejected = casebridgev1.ApprovalStatus_APPROVAL_STATUS_REJECTED
	Used     = casebridgev1.ApprovalStatus_APPROVAL_STATUS_USED

	SupportPlan = casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN
	Closure     = casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_CASE_CLOSURE
)

// The policy object of approvals and its actions (policies/policy.csv).
const (
	Object    = "approval"
	ActRead   = "read"
	ActAsk    = "request"
	ActDecide = "decide"
)

// Transition is a change of a request's status.
type Transition struct {
	Verb string
	From []Status
	To   Status
}

// The transitions of a request: the whole lifecycle.
var (
	Approve = Transition{"approve", []Status{Pending}, Approved}
	Reject  = Transition{"reject", []Status{Pending}, Rejected}
	Use     = Transition{"use", []Status{Approved}, Used}
	// Withdraw closes a request nobody will use: every open one of an
	// erased case, and an approved closure of a case being reopened (a
	// closure agreed before the reopen is not this closure). It is stored
	// as rejected with no decider.
	Withdraw = Transition{"withdraw", []Status{Pending, Approved}, Rejected}
)

// Transitions lists the table.
func Transitions() []Transition { return []Transition{Approve, Reject, Use, Withdraw} }

// Check reports whether t may start from s, and when it may not a
// FailedPrecondition naming both statuses.
func (t Transition) Check(s Status) error {
	if slices.Contains(t.From, s) {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot %s a request that is %s: %s → %s is not allowed (allowed from: %s)",
		t.Verb, Word(s), Word(s), Word(t.To), words(t.From))
}

// Decision is the transition a supervisor's decision makes.
func Decision(d casebridgev1.ApprovalDecision) Transition {
	if d == casebridgev1.ApprovalDecision_APPROVAL_DECISION_APPROVE {
		return Approve
	}
	return Reject
}

// CheckDecider applies the four-eyes rule: whoever asked for an approval
// does not give it, nor does whoever wrote what it approves (author, the
// support plan's author; "" for a closure), and a rejection says why.
func CheckDecider(requestedBy, author, decider string, t Transition, comment string) error {
	if requestedBy == decider {
		return rpcerr.FailedPrecondition("you asked for this approval: another supervisor must decide it")
	}
	if author != "" && author == decider {
		return rpcerr.FailedPrecondition("you wrote this support plan: another supervisor must decide its approval")
	}
	if t.To == Rejected && strings.TrimSpace(comment) == "" {
		return rpcerr.InvalidArgument("comment", "is required to reject: say what must change")
	}
	return nil
}

// Word is s as a lowercase word, for messages.
func Word(s Status) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "APPROVAL_STATUS_"))
}

// SubjectWord is s as lowercase words ("case closure").
func SubjectWord(s Subject) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.String(), "APPROVAL_SUBJECT_"), "_", " "))
}

func words(ss []Status) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Word(s)
	}
	return strings.Join(out, ", ")
}
