package web

import (
	"os"
	"regexp"
	"testing"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
)

// The court pages' handlers name their messages in Go (a refusal's
// reason, a done message), where the template check does not look: each
// one is in every language, or a page would show ⟦key⟧ or no flash at all.
func TestCourtHandlersNameOnlyKnownMessages(t *testing.T) {
	c, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"((?:court|claims|flash|error)\.[a-z_.]+)"`)
	n := 0
	for _, f := range []string{"litigation.go", "litigation_actions.go", "litigation_calendar.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			n++
			for _, l := range i18n.Languages {
				if !c.Has(l, string(m[1])) {
					t.Errorf("%s names message %q, which %s lacks", f, m[1], l)
				}
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d message names in the court handlers", n)
	}
}

// Each refusal the court and compensation services give for a record's
// state is said in the court's own words, not the general "not possible"
// (the messages as the services write them).
func TestCourtPreconditionsInPlainWords(t *testing.T) {
	for msg, want := range map[string]string{
		"cannot move a proceeding from final to appeal: final → appeal is not allowed (a final decision ends the proceeding)":                                    "court.error.stage_move",
		"the proceeding is at indictment: it cannot have been decided at appeal yet (advance the stage first)":                                                   "court.error.decided_later",
		"hearing 5e0c… is cancelled: add a new hearing instead":                                                                                                  "court.error.cancelled",
		"deadline 5e0c… is cancelled: add a new deadline instead":                                                                                                "court.error.cancelled",
		"cannot cancel a hearing that is held: only a scheduled or postponed one can be cancelled":                                                               "court.error.hearing_not_cancellable",
		"cannot cancel a deadline that is met: only an open one can be cancelled":                                                                                "court.error.deadline_not_cancellable",
		"claim 5e0c… has no award to pay against: record the award first":                                                                                        "claims.error.no_award",
		"this correction would take the total paid on claim 5e0c… below zero (100 → -50)":                                                                        "claims.error.below_zero",
		"a payment of 250000 would take the total paid on claim 5e0c… to 350000, above the award of 300000 EUR: mark it as a correction if more was really paid": "claims.error.above_award",
		"cannot appeal a claim that is filed (allowed when: awarded, partially awarded, rejected)":                                                               "claims.error.transition",
		"the case is closed": "error.precondition_closed",
	} {
		if got := courtPrecondition(msg); got != want {
			t.Errorf("%q: %s, want %s", msg, got, want)
		}
	}
}
