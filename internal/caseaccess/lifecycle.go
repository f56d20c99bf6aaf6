package caseaccess

import (
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Transition is a change of a case's status: what the caller does (Verb),
// the policy action on "case" their role needs for it (Act), the statuses
// it may start from and the one it leads to. The table is the whole case
// lifecycle:
//
//	open → in assistance → (suspended ↔ in assistance) → closed → (reopen) in assistance
//	open, in assistance, suspended → closed   (close)
//	any status → closed                       (erase: the case is closed as it is shredded)
//
// Whether a given case may make a transition is decided by CheckTransition
// alone.
type Transition struct {
	Verb string
	Act  string
	From []casebridgev1.CaseStatus
	To   casebridgev1.CaseStatus
}

// The transitions of a case.
var (
	// StartAssistance begins (or, after a suspension, resumes) assistance.
	StartAssistance = Transition{"start assistance on", "update",
		[]casebridgev1.CaseStatus{StatusOpen, StatusSuspended}, StatusInAssistance}
	// Suspend pauses assistance (the person left the shelter, cannot be
	// reached).
	Suspend = Transition{"suspend", "update",
		[]casebridgev1.CaseStatus{StatusInAssistance}, StatusSuspended}
	// Close ends assistance; it is a supervisor's decision (the policy's
	// "close" action).
	Close = Transition{"close", "close",
		[]casebridgev1.CaseStatus{StatusOpen, StatusInAssistance, StatusSuspended}, StatusClosed}
	// Reopen brings a closed case back into assistance.
	Reopen = Transition{"reopen", "reopen",
		[]casebridgev1.CaseStatus{StatusClosed}, StatusInAssistance}
	// Erase shreds the person's data; the case, whatever its status, is
	// closed with it, for nobody can work on it any more.
	Erase = Transition{"erase", "erase",
		[]casebridgev1.CaseStatus{StatusOpen, StatusInAssistance, StatusSuspended, StatusClosed}, StatusClosed}
)

// Transitions lists the whole table.
func Transitions() []Transition {
	return []Transition{StartAssistance, Suspend, Close, Reopen, Erase}
}

// CheckTransition decides whether the case f describes may make t: nil if
// it may, else a FailedPrecondition that says why (an erased case makes no
// transition at all; otherwise the table decides, naming both statuses).
//
// It is the one place that allows a status change: every handler that
// changes a case's status calls it, inside the transaction that makes the
// change and over facts loaded there. A rule on top of the table (a
// closure that needs a supervisor's approval, say) belongs here, with what
// it needs to know carried in Facts.
func CheckTransition(f Facts, t Transition) error {
	if f.Erased {
		return rpcerr.FailedPrecondition("cannot %s case %s: it is already erased", t.Verb, f.ID)
	}
	if !slices.Contains(t.From, f.Status) {
		return rpcerr.FailedPrecondition("cannot %s a case that is %s: %s → %s is not allowed (allowed from: %s)",
			t.Verb, StatusWord(f.Status), StatusWord(f.Status), StatusWord(t.To), statusWords(t.From))
	}
	return checkClosureApproval(f, t)
}

// StatusWord is a case status in the words of a message: "in assistance".
func StatusWord(s casebridgev1.CaseStatus) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.String(), "CASE_STATUS_"), "_", " "))
}

func statusWords(ss []casebridgev1.CaseStatus) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = StatusWord(s)
	}
	return strings.Join(words, ", ")
}
