package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/web/webtest"
)

// A supervisor's work on a case: a note, a consent recorded and withdrawn,
// the status moved through its lifecycle (only the changes the status
// allows are offered), the case assigned, and the person's data erased —
// first refused for a mistyped confirmation, then done.
func TestCaseWork(t *testing.T) {
	env := webtest.Start(t)
	id := createCase(t, env, env.Client(t, "caseworker@shelter-a"))
	ctx := webtest.NewBrowser(t)
	env.SignIn(t, ctx, "supervisor@shelter-a")
	page := env.URL + "/cases/" + id
	text := func(sel string) string {
		t.Helper()
		return webtest.Get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
	}
	done := func(what string) {
		t.Helper()
		webtest.WaitJS(t, ctx, what, `!!document.querySelector('p.flash')`)
	}
	webtest.Do(t, ctx, "open the case", chromedp.Navigate(page))
	offered := func() string {
		t.Helper()
		return webtest.Get(t, ctx, "actions", chromedp.Evaluate[string](`[...document.querySelectorAll('#status .actions button')].map(b => b.id).join(',')`))
	}

	webtest.Submit(t, ctx, "add a care note",
		chromedp.SetValue(chromedp.ID("f-data_class"), "DATA_CLASS_CARE"),
		chromedp.SendKeys(chromedp.ID("f-text"), "Needs a doctor this week."),
		chromedp.Click(chromedp.ID("add-note")))
	done("note added")
	if got := text("#notes"); !strings.Contains(got, "Needs a doctor this week.") || !strings.Contains(got, "Care") {
		t.Errorf("notes: %q", got)
	}

	webtest.Submit(t, ctx, "record a consent",
		chromedp.SetValue(chromedp.ID("f-purpose"), "CONSENT_PURPOSE_ASSISTANCE"),
		chromedp.SetValue(chromedp.ID("f-recipient"), "kind:ORGANIZATION_KIND_SHELTER"),
		chromedp.SendKeys(chromedp.ID("f-method"), "oral, with interpreter"),
		chromedp.Click(chromedp.ID("record-consent")))
	done("consent recorded")
	if got := text("#consent-list tbody"); !strings.Contains(got, "In force") || !strings.Contains(got, "Any: Shelter") {
		t.Errorf("consents: %q", got)
	}
	webtest.Submit(t, ctx, "withdraw it", chromedp.Click(chromedp.CSS(`#consent-list form[action$="/withdraw"] button`)))
	done("consent withdrawn")
	if got := text("#consent-list tbody"); !strings.Contains(got, "Withdrawn") {
		t.Errorf("withdrawn consent shows %q", got)
	}

	if got := offered(); got != "status-start,status-close" {
		t.Errorf("an open case offers %q", got)
	}
	for _, step := range []struct{ button, status, offers string }{
		{"status-start", "In assistance", "status-suspend,status-close"},
		{"status-suspend", "Suspended", "status-start,status-close"},
		{"status-close", "Closed", "status-reopen"},
		{"status-reopen", "In assistance", "status-suspend,status-close"},
	} {
		webtest.Submit(t, ctx, step.button, chromedp.Click(chromedp.ID(step.button)))
		done(step.button)
		if got := text("#case-status"); got != step.status {
			t.Errorf("after %s: status %q, want %q", step.button, got, step.status)
		}
		if got := offered(); got != step.offers {
			t.Errorf("after %s: offers %q, want %q", step.button, got, step.offers)
		}
	}

	webtest.Submit(t, ctx, "assign", chromedp.Clear(chromedp.ID("f-caseworker")),
		chromedp.SendKeys(chromedp.ID("f-caseworker"), "supervisor@shelter-a"), chromedp.Click(chromedp.ID("assign")))
	done("assigned")
	if got := text("#coded"); !strings.Contains(got, "supervisor@shelter-a") {
		t.Errorf("assigned caseworker not shown: %q", got)
	}

	ref := text("#case-ref")
	webtest.Submit(t, ctx, "erase, mistyped", chromedp.SetValue(chromedp.ID("f-erase-code"), "CASE_CHANGE_REASON_PERSON_REQUEST"),
		chromedp.SendKeys(chromedp.ID("f-reason"), "the person asked"),
		chromedp.SendKeys(chromedp.ID("f-confirm"), "SHA-0000-0000"), chromedp.Click(chromedp.ID("erase-submit")))
	webtest.WaitJS(t, ctx, "the confirmation refused", `!!document.getElementById('err-confirm')`)
	if got := text("#class-identity"); !strings.Contains(got, "Marko") {
		t.Errorf("a refused erasure erased: identity %q", got)
	}
	webtest.Shot(t, ctx, "erase-refused")
	webtest.Submit(t, ctx, "erase", chromedp.Clear(chromedp.ID("f-confirm")), chromedp.SendKeys(chromedp.ID("f-confirm"), ref),
		chromedp.Click(chromedp.ID("erase-submit")))
	webtest.WaitJS(t, ctx, "erased", `!!document.getElementById('erased')`)
	if got := text("#class-identity"); strings.Contains(got, "Marko") {
		t.Errorf("after erasure identity shows %q", got)
	}
	if got := text("#case-status"); got != "Closed" {
		t.Errorf("an erased case is %q", got)
	}
}
