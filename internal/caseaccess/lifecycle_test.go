package caseaccess

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCaseTransitionTable is the whole case lifecycle as a table: for every
// transition, the policy action it needs, where it leads and — from every
// status, erased or not — whether CheckTransition allows it, else a
// FailedPrecondition naming both statuses (or the erasure).
func TestCaseTransitionTable(t *testing.T) {
	all := []casebridgev1.CaseStatus{StatusOpen, StatusInAssistance, StatusSuspended, StatusClosed}
	table := []struct {
		tr   Transition
		verb string
		act  string
		from []casebridgev1.CaseStatus
		to   casebridgev1.CaseStatus
	}{
		{StartAssistance, "start assistance on", "update", []casebridgev1.CaseStatus{StatusOpen, StatusSuspended}, StatusInAssistance},
		{Suspend, "suspend", "update", []casebridgev1.CaseStatus{StatusInAssistance}, StatusSuspended},
		{Close, "close", "close", []casebridgev1.CaseStatus{StatusOpen, StatusInAssistance, StatusSuspended}, StatusClosed},
		{Reopen, "reopen", "reopen", []casebridgev1.CaseStatus{StatusClosed}, StatusInAssistance},
		{Erase, "erase", "erase", all, StatusClosed},
	}
	if len(table) != len(Transitions()) {
		t.Fatalf("the table has %d rows, Transitions %d", len(table), len(Transitions()))
	}
	for i, row := range table {
		tr := row.tr
		if Transitions()[i].Verb != row.verb {
			t.Errorf("row %d: Transitions() lists %q", i, Transitions()[i].Verb)
		}
		if tr.Verb != row.verb || tr.Act != row.act || tr.To != row.to {
			t.Errorf("%s: verb %q act %q to %v", row.verb, tr.Verb, tr.Act, tr.To)
		}
		for _, from := range all {
			allowed := false
			for _, a := range row.from {
				allowed = allowed || a == from
			}
			err := CheckTransition(Facts{ID: "c1", Status: from}, tr)
			switch {
			case allowed && err != nil:
				t.Errorf("%s from %s: unexpected %v", row.verb, StatusWord(from), err)
			case !allowed:
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Errorf("%s from %s: want FailedPrecondition, got %v", row.verb, StatusWord(from), err)
				} else if want := StatusWord(from) + " → " + StatusWord(row.to); !strings.Contains(st.Message(), want) {
					t.Errorf("%s from %s: message %q does not name both statuses (%q)", row.verb, StatusWord(from), st.Message(), want)
				}
			}
			// An erased case makes no transition, whatever its status.
			err = CheckTransition(Facts{ID: "c1", Status: from, Erased: true}, tr)
			if st, _ := status.FromError(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "erased") {
				t.Errorf("%s an erased %s case: want FailedPrecondition naming the erasure, got %v", row.verb, StatusWord(from), err)
			}
		}
	}
}

// TestStatusWord: messages name statuses in words.
func TestStatusWord(t *testing.T) {
	for s, want := range map[casebridgev1.CaseStatus]string{
		StatusOpen: "open", StatusInAssistance: "in assistance", StatusSuspended: "suspended", StatusClosed: "closed",
	} {
		if got := StatusWord(s); got != want {
			t.Errorf("StatusWord(%v) = %q, want %q", s, got, want)
		}
	}
}
