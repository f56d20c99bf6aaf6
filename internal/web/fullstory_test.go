package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/web/oidctest"
	"github.com/casebridge/casebridge/internal/web/webtest"
)

// TestFullStory is a day of the whole network in one browser, each person
// in a browser context of their own: the caseworker's intake, consent and
// referral; the lawyer — signed in through the organisation's identity
// provider (a real OpenID provider, the code flow with PKCE) — seeing the
// referral arrive live, accepting, opening a proceeding, adding a hearing
// that the calendar shows at the court's time, and recording a claim's
// award and a payment; the coordinator's table with its withheld cells;
// and the auditor finding the lawyer's read of the case and verifying the
// chain.
func TestFullStory(t *testing.T) {
	env, _ := webtest.StartWithProvider(t, []oidctest.User{{Subject: "lawyer@legal-b", Username: "lena", Password: "court-day-2026"}})
	seedCases(t, env)
	cw := webtest.NewBrowser(t)
	lawyer := webtest.NewBrowser(t)
	env.SignIn(t, cw, "caseworker@shelter-a")
	env.SignInThroughProvider(t, lawyer, "lena", "court-day-2026")
	if got := webtest.Get(t, lawyer, "who", chromedp.Text(chromedp.CSS(".who"))); got != "lawyer@legal-b" {
		t.Fatalf("signed in through the provider as %q", got)
	}
	webtest.WaitJS(t, lawyer, "live inbox connected", `document.getElementById('inbox').dataset.live === 'on'`)

	webtest.Do(t, cw, "intake",
		chromedp.Navigate(env.URL+"/cases/new"),
		chromedp.SetValue(chromedp.ID("f-sex"), "SEX_FEMALE"),
		chromedp.SetValue(chromedp.ID("f-age_band"), "AGE_BAND_18_20"),
		chromedp.SetValue(chromedp.ID("f-identification_status"), "IDENTIFICATION_STATUS_PRESUMED"),
		chromedp.SendKeys(chromedp.ID("f-nationality"), "UA"),
		chromedp.SendKeys(chromedp.ID("f-country"), "RS"),
		chromedp.Click(chromedp.ID("f-form-EXPLOITATION_FORM_SEXUAL")),
		chromedp.SendKeys(chromedp.ID("f-given_names"), "Ana"),
		chromedp.Click(chromedp.ID("intake-submit")),
	)
	webtest.WaitJS(t, cw, "the new case", `!!document.getElementById('case-ref')`)
	ref := webtest.Get(t, cw, "reference", chromedp.Text(chromedp.ID("case-ref")))
	casePath := webtest.Path(t, cw)
	caseID := strings.TrimPrefix(casePath, "/cases/")
	webtest.Do(t, cw, "consent and referral",
		chromedp.SetValue(chromedp.ID("f-purpose"), "CONSENT_PURPOSE_LEGAL_REPRESENTATION"),
		chromedp.SetValue(chromedp.ID("f-recipient"), "org:legal-b"),
		chromedp.SendKeys(chromedp.ID("f-method"), "signed form"),
		chromedp.Click(chromedp.ID("record-consent")),
	)
	webtest.WaitJS(t, cw, "consent listed", `!!document.querySelector('#consent-list') && document.querySelector('#consent-list').innerText.includes('In force')`)
	webtest.Do(t, cw, "refer to legal-b",
		chromedp.SetValue(chromedp.ID("f-to"), "legal-b"),
		chromedp.SetValue(chromedp.ID("f-service"), "SERVICE_KIND_LEGAL"),
		chromedp.Click(chromedp.ID("f-class-DATA_CLASS_IDENTITY")),
		chromedp.Click(chromedp.ID("f-class-DATA_CLASS_LEGAL")),
		chromedp.Click(chromedp.ID("refer-submit")),
	)
	webtest.WaitJS(t, cw, "referred", `document.querySelector('#case-referrals .referral-status') !== null`)

	// The lawyer's inbox, untouched, shows it; the lawyer accepts.
	webtest.WaitJS(t, lawyer, "the referral arrives live", `[...document.querySelectorAll('#incoming tr[data-referral]')].some(r => r.innerText.includes('`+ref+`'))`)
	webtest.Submit(t, lawyer, "accept", chromedp.Evaluate[chromedp.Void](`document.querySelector('#incoming button.accept').click()`))
	webtest.WaitJS(t, lawyer, "accepted", `!!document.querySelector('#incoming a[href^="/cases/"]')`)

	// Court: a proceeding, a hearing at 09:30 in Belgrade.
	day := time.Now().AddDate(0, 0, 2)
	date := day.Format(time.DateOnly)
	webtest.Do(t, lawyer, "open a proceeding",
		chromedp.Navigate(env.URL+casePath+"/court"),
		chromedp.SetValue(chromedp.ID("p-kind"), "PROCEEDING_KIND_CRIMINAL"),
		chromedp.SendKeys(chromedp.ID("p-court"), "Higher Court in Belgrade"),
		chromedp.SendKeys(chromedp.ID("p-docket"), "K 88/2026"),
		chromedp.Click(chromedp.ID("create-proceeding")),
	)
	webtest.WaitJS(t, lawyer, "the proceeding", `!!document.querySelector('article.proceeding')`)
	webtest.Do(t, lawyer, "add a hearing",
		chromedp.SetValue(chromedp.CSS(`article.proceeding input[name=date]`), date),
		chromedp.SetValue(chromedp.CSS(`article.proceeding input[name=time]`), "09:30"),
		chromedp.SetValue(chromedp.CSS(`article.proceeding select[name=type]`), "HEARING_TYPE_MAIN"),
		chromedp.Click(chromedp.CSS(`button[id^="add-hearing-"]`)),
	)
	webtest.WaitJS(t, lawyer, "the hearing listed", `!!document.querySelector('table.hearings') && document.querySelector('table.hearings').innerText.includes('09:30')`)
	webtest.Do(t, lawyer, "the week", chromedp.Navigate(env.URL+"/calendar?view=week&date="+date))
	cell := webtest.Get(t, lawyer, "the hearing's day", chromedp.Text(chromedp.CSS(`td[data-date="`+date+`"]`)))
	if !strings.Contains(cell, "09:30") || !strings.Contains(cell, "Higher Court in Belgrade") {
		t.Fatalf("the calendar's %s shows %q", date, cell)
	}
	webtest.Shot(t, lawyer, "calendar-week")

	// The claim: 5,000 claimed, filed, 3,000 awarded, 1,200.50 paid.
	webtest.Do(t, lawyer, "claim",
		chromedp.Navigate(env.URL+casePath+"/court"),
		chromedp.SendKeys(chromedp.ID("c-amount"), "5000.00"),
		chromedp.Click(chromedp.ID("create-claim")),
	)
	webtest.WaitJS(t, lawyer, "the claim", `!!document.querySelector('button[id^="file-"]')`)
	webtest.Do(t, lawyer, "file", chromedp.Click(chromedp.CSS(`button[id^="file-"]`)))
	webtest.WaitJS(t, lawyer, "filed", `!!document.querySelector('button[id^="award-"]')`)
	webtest.Do(t, lawyer, "award",
		chromedp.SendKeys(chromedp.CSS(`input[id^="a-amount-"]`), "3000"),
		chromedp.Click(chromedp.CSS(`button[id^="award-"]`)))
	webtest.WaitJS(t, lawyer, "awarded", `!!document.querySelector('button[id^="pay-"]')`)
	webtest.Do(t, lawyer, "payment",
		chromedp.SendKeys(chromedp.CSS(`input[id^="pay-amount-"]`), "1200.50"),
		chromedp.Click(chromedp.CSS(`button[id^="pay-"]`)))
	webtest.WaitJS(t, lawyer, "the ledger", `!!document.querySelector('#ledger .outstanding') && document.querySelector('#ledger .outstanding').innerText.includes('1,799.50')`)
	webtest.Shot(t, lawyer, "court-case")

	// The coordinator's table.
	coord := webtest.NewBrowser(t)
	env.SignIn(t, coord, "coordinator@network")
	webtest.Do(t, coord, "counts by sex", chromedp.Navigate(env.URL+"/stats?by=DIMENSION_SEX"))
	webtest.WaitJS(t, coord, "a withheld cell", `!!document.querySelector('#counts td.withheld') && !!document.querySelector('#chart')`)
	if got := webtest.Get(t, coord, "withheld", chromedp.Text(chromedp.CSS("#counts td.withheld"))); !strings.HasPrefix(got, "Withheld") {
		t.Errorf("withheld cell reads %q", got)
	}
	webtest.Shot(t, coord, "stats")

	// The auditor finds the lawyer's read of the case.
	aud := webtest.NewBrowser(t)
	env.SignIn(t, aud, "auditor@network")
	webtest.Do(t, aud, "the audit page", chromedp.Navigate(env.URL+"/audit"))
	webtest.Submit(t, aud, "events of the case by the lawyer",
		chromedp.SendKeys(chromedp.ID("a-case"), caseID),
		chromedp.SendKeys(chromedp.ID("a-subject"), "lawyer@legal-b"),
		chromedp.Click(chromedp.ID("find-events")),
	)
	webtest.WaitJS(t, aud, "events", `!!document.getElementById('events')`)
	events := webtest.Get(t, aud, "events", chromedp.Text(chromedp.ID("events")))
	if !strings.Contains(events, "lawyer@legal-b") || !strings.Contains(events, "GetCase") && !strings.Contains(events, "ListProceedings") {
		t.Errorf("the auditor does not find the lawyer's read:\n%s", events)
	}
	webtest.Shot(t, aud, "audit")
	webtest.Submit(t, aud, "verify", chromedp.Click(chromedp.ID("verify")))
	webtest.WaitJS(t, aud, "verified", `!!document.getElementById('verify-result')`)
	if got := webtest.Get(t, aud, "verdict", chromedp.Text(chromedp.ID("verify-result"))); !strings.Contains(got, "intact") {
		t.Errorf("verification says %q", got)
	}
}
