package casectl

import (
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/casectl/prompt"
	"github.com/casebridge/casebridge/internal/iso"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// askIntake asks, on the terminal, for the intake questions whose flags
// were not given. Answers are checked as they are typed, so that a typo is
// corrected at once rather than refused by the server after all questions.
func (a *app) askIntake(c *casebridgev1.Case, given []caseField) error {
	done := map[string]bool{}
	for _, f := range given {
		done[f.flag] = true
	}
	asker := prompt.New(a.env.Stdin, a.env.Stderr)
	a.say("Opening a case. Press Enter to skip anything not known yet.")
	for _, f := range caseFields {
		if f.ask == "" || done[f.flag] {
			continue
		}
		f := f
		err := asker.Ask(f.ask+": ", func(answer string) error {
			if answer == "" {
				return nil
			}
			if (f.flag == "nationality" || f.flag == "country") && !iso.ValidCountry(upper(answer)) {
				return fmt.Errorf("%q is not a country code: two letters, e.g. RS, UA, MK", answer)
			}
			return f.set(c, answer)
		})
		if errors.Is(err, prompt.ErrGaveUp) {
			// Keep the answers given so far: skip this one question.
			a.say("  Skipped %s (%v); set it later with 'casectl cases update --%s'.", f.flag, err, f.flag)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.flag, err)
		}
	}
	return nil
}
