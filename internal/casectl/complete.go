package casectl

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Shell completion of case references: a command whose first argument is a
// case (REF, ID|REF, PROCEEDING|REF) offers the references of the cases the
// caller may see, own and shared, as the server lists them.
const (
	// completionCases bounds what one completion asks for: one page of the
	// most recent cases, so that a large caseload cannot make a Tab slow.
	completionCases = 200
	// completionTimeout bounds how long a Tab may wait for the server; a
	// slow or unreachable server offers nothing rather than hang the shell.
	completionTimeout = 3 * time.Second
)

// completeCases sets Complete on every leaf under c whose first argument
// names a case and that has no completion of its own.
func (a *app) completeCases(c *cli.Command) {
	for _, s := range c.Sub {
		a.completeCases(s)
	}
	first, _, _ := strings.Cut(c.Args, " ")
	if c.Run != nil && c.Complete == nil && strings.Contains(first, "REF") {
		c.Complete = a.caseReferences
	}
}

// caseReferences offers, for the first argument only, the references that
// start with prefix (case-insensitively) among the caller's most recent
// cases. It reads the BASIC view, which opens no sensitive class. Any
// failure (not logged in, server away) offers nothing.
func (a *app) caseReferences(ctx context.Context, args []string, prefix string) []string {
	if len(args) > 0 {
		return nil
	}
	c, err := a.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	resp, err := c.cases.ListCases(ctx, &casebridgev1.ListCasesRequest{PageSize: completionCases, View: casebridgev1.CaseView_CASE_VIEW_BASIC})
	if err != nil {
		return nil
	}
	want := strings.ToUpper(prefix)
	var out []string
	for _, cs := range resp.GetCases() {
		// Two organisations may use one reference: offer it once.
		if ref := cs.GetReference(); ref != "" && strings.HasPrefix(ref, want) && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}
