package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	caseRow  = regexp.MustCompile(`<a href="/cases/[0-9a-f-]{36}">(SHA-\d{4}-\d{4})</a>`)
	nextPage = regexp.MustCompile(`<a href="(/cases\?[^"]*)" id="next">`)
)

// The case list: 50 a page with a link to the next, filters by status and
// form of exploitation, and the search by reference.
func TestCaseListPagesFiltersAndSearch(t *testing.T) {
	t.Parallel()
	env := webtest.Start(t)
	ctx := env.API.As(t, "caseworker@shelter-a")
	var labour string
	for i := 0; i < 51; i++ {
		coded := &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_FEMALE}
		if i == 7 {
			coded.ExploitationForms = []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR}
		}
		resp, err := env.API.Cases().CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: coded}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			labour = resp.GetCase().GetReference()
		}
	}
	c := env.Client(t, "caseworker@shelter-a")
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		return string(b)
	}
	refs := func(page string) []string {
		var out []string
		for _, m := range caseRow.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return out
	}

	first := get("/cases")
	if n := len(refs(first)); n != 50 {
		t.Fatalf("first page: %d rows, want 50", n)
	}
	m := nextPage.FindStringSubmatch(first)
	if m == nil {
		t.Fatal("first page has no link to the next")
	}
	second := get(html.UnescapeString(m[1]))
	if got := refs(second); len(got) != 1 {
		t.Errorf("second page: %v, want one row", got)
	}
	if nextPage.MatchString(second) {
		t.Error("the last page links to a next one")
	}
	if got := refs(get("/cases?form=EXPLOITATION_FORM_FORCED_LABOUR")); len(got) != 1 || got[0] != labour {
		t.Errorf("forced labour: %v, want [%s]", got, labour)
	}
	if got := refs(get("/cases?status=CASE_STATUS_CLOSED")); len(got) != 0 {
		t.Errorf("closed: %v, want none", got)
	}

	tok := webtest.FormToken(t, c, env.URL+"/cases")
	resp, err := c.PostForm(env.URL+"/cases/search", url.Values{"csrf": {tok}, "reference": {strings.ToLower(labour)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := refs(string(b)); len(got) != 1 || got[0] != labour {
		t.Errorf("search %s: %v", labour, got)
	}
	if strings.Contains(resp.Request.URL.String(), labour) {
		t.Errorf("the reference is in the URL: %s", resp.Request.URL)
	}
}
