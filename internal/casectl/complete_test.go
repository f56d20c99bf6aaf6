package casectl

import (
	"slices"
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCompletionOffersTheCallersCaseReferences: Tab after a command whose
// first argument is a case offers the references of the cases the caller
// may see — its own organisation's and those shared with it — filtered by
// what was typed, and offers neither references nor file names for an
// argument that is not a case. Another organisation's cases are never
// offered.
func TestCompletionOffersTheCallersCaseReferences(t *testing.T) {
	s := newSession(t)
	shared := s.server.ReferredCase(t) // shelter-a's, referred to legal-b
	own := s.server.NewMarkedCase(t)   // shelter-a's, not shared
	refOf := func(id string) string {
		resp, err := s.server.Cases().GetCase(s.server.As(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetCase().GetReference()
	}
	sharedRef, ownRef := refOf(shared), refOf(own)

	complete := func(args ...string) ([]string, string) {
		t.Helper()
		o := s.run("", false, append([]string{"__complete"}, args...)...)
		if o.code != 0 {
			t.Fatalf("__complete %v: %+v", args, o)
		}
		lines := strings.Split(strings.TrimSpace(o.stdout), "\n")
		return lines[:len(lines)-1], lines[len(lines)-1] // the last line is cobra's directive
	}

	s.login("caseworker@shelter-a")
	got, directive := complete("cases", "show", "")
	if !slices.Contains(got, sharedRef) || !slices.Contains(got, ownRef) || directive != ":4" {
		t.Fatalf("caseworker, cases show <Tab>: %v %s, want %s and %s without file names", got, directive, sharedRef, ownRef)
	}
	// What was typed narrows the offer, whatever its case.
	typed := strings.ToLower(ownRef[:len(ownRef)-1])
	if got, _ = complete("claims", "list", typed); !slices.Contains(got, ownRef) || slices.ContainsFunc(got, func(r string) bool { return !strings.HasPrefix(r, strings.ToUpper(typed)) }) {
		t.Fatalf("claims list %s<Tab>: %v", typed, got)
	}
	// Only the first argument is a case.
	if got, _ = complete("consent", "withdraw", ownRef, ""); len(got) != 0 {
		t.Fatalf("second argument offered %v", got)
	}

	s.login("lawyer@legal-b")
	got, _ = complete("proceedings", "new", "")
	if !slices.Contains(got, sharedRef) || slices.Contains(got, ownRef) {
		t.Fatalf("lawyer, proceedings new <Tab>: %v, want %s and not %s", got, sharedRef, ownRef)
	}

	s.login("caseworker@cso-c")
	if got, _ = complete("cases", "show", ""); slices.Contains(got, sharedRef) || slices.Contains(got, ownRef) {
		t.Fatalf("another organisation was offered shelter-a's cases: %v", got)
	}
}
