package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/web/webtest"
)

// The caseworker's day in the browser: intake (a refused value shown
// beside its field), a referral refused for want of consent and said so in
// plain words, the consent recorded, the referral made — and the lawyer's
// inbox, open in a second browser, shows it without a reload; the lawyer
// accepts and reads the classes the referral grants, and not the others.
func TestIntakeConsentReferralLiveInbox(t *testing.T) {
	env := webtest.Start(t)
	cw := webtest.NewBrowser(t)
	lawyer := webtest.NewBrowser(t)
	env.SignIn(t, cw, "caseworker@shelter-a")
	env.SignIn(t, lawyer, "lawyer@legal-b")
	webtest.Do(t, lawyer, "open the inbox", chromedp.Navigate(env.URL+"/referrals"))
	webtest.WaitJS(t, lawyer, "live inbox connected", `document.getElementById('inbox').dataset.live === 'on'`)
	if webtest.Get(t, lawyer, "count rows", chromedp.Evaluate[int](`document.querySelectorAll('#incoming tr[data-referral]').length`)) != 0 {
		t.Fatal("the lawyer's inbox is not empty at the start")
	}

	// Intake, first with values the server refuses.
	webtest.Do(t, cw, "fill the intake form",
		chromedp.Navigate(env.URL+"/cases/new"),
		chromedp.SetValue(chromedp.ID("f-sex"), "SEX_FEMALE"),
		chromedp.SetValue(chromedp.ID("f-age_band"), "AGE_BAND_18_20"),
		chromedp.SetValue(chromedp.ID("f-identification_status"), "IDENTIFICATION_STATUS_PRESUMED"),
		chromedp.SendKeys(chromedp.ID("f-nationality"), "U1"),
		chromedp.SendKeys(chromedp.ID("f-country"), "RS"),
		chromedp.Click(chromedp.ID("f-form-EXPLOITATION_FORM_SEXUAL")),
		chromedp.SendKeys(chromedp.ID("f-given_names"), "Ana"),
		chromedp.SendKeys(chromedp.ID("f-phone"), "+381 60 000 0000"),
		chromedp.SendKeys(chromedp.ID("f-exploitation_account"), "Recruited with a false job offer."),
		chromedp.Click(chromedp.ID("intake-submit")),
	)
	webtest.WaitJS(t, cw, "the refusal beside the field", `!!document.getElementById('err-nationality')`)
	if got := webtest.Get(t, cw, "aria-invalid", chromedp.Evaluate[string](`document.getElementById('f-nationality').getAttribute('aria-invalid') + '|' + document.getElementById('f-nationality').getAttribute('aria-describedby')`)); got != "true|err-nationality" {
		t.Errorf("refused field: aria-invalid|describedby = %q", got)
	}
	if got := webtest.Get(t, cw, "kept value", chromedp.Value(chromedp.ID("f-given_names"))); got != "Ana" {
		t.Errorf("the refused form lost what was typed: given names %q", got)
	}
	webtest.Shot(t, cw, "intake-refused")
	webtest.Do(t, cw, "correct and submit",
		chromedp.Clear(chromedp.ID("f-nationality")),
		chromedp.SendKeys(chromedp.ID("f-nationality"), "UA"),
		chromedp.Click(chromedp.ID("intake-submit")),
	)
	webtest.WaitJS(t, cw, "the new case", `!!document.getElementById('case-ref')`)
	ref := webtest.Get(t, cw, "reference", chromedp.Text(chromedp.ID("case-ref")))
	if !regexp.MustCompile(`^SHA-\d{4}-\d{4}$`).MatchString(ref) {
		t.Fatalf("reference %q", ref)
	}
	casePath := webtest.Path(t, cw)
	if !regexp.MustCompile(`^/cases/[0-9a-f-]{36}$`).MatchString(casePath) {
		t.Errorf("case URL %q is not an opaque id", casePath)
	}
	if title := webtest.Get(t, cw, "title", chromedp.Title()); strings.Contains(title, "Ana") || strings.Contains(title, ref) {
		t.Errorf("title %q shows case data", title)
	}
	webtest.Shot(t, cw, "case")

	// A referral without consent: refused, in plain words.
	refer := func() {
		webtest.Do(t, cw, "refer to legal-b",
			chromedp.SetValue(chromedp.ID("f-to"), "legal-b"),
			chromedp.SetValue(chromedp.ID("f-service"), "SERVICE_KIND_LEGAL"),
			chromedp.Click(chromedp.ID("f-class-DATA_CLASS_IDENTITY")),
			chromedp.Click(chromedp.ID("f-class-DATA_CLASS_LEGAL")),
			chromedp.Click(chromedp.ID("refer-submit")),
		)
	}
	refer()
	webtest.WaitJS(t, cw, "the consent check's answer", `!!document.getElementById('refer-problem')`)
	if got := webtest.Get(t, cw, "refusal", chromedp.Text(chromedp.ID("refer-problem"))); !strings.Contains(got, "has not agreed to share their case with Legal Aid B") {
		t.Errorf("the refusal says %q", got)
	}
	webtest.Shot(t, cw, "refer-without-consent")

	webtest.Do(t, cw, "record the consent",
		chromedp.Navigate(env.URL+casePath),
		chromedp.SetValue(chromedp.ID("f-purpose"), "CONSENT_PURPOSE_LEGAL_REPRESENTATION"),
		chromedp.SetValue(chromedp.ID("f-recipient"), "org:legal-b"),
		chromedp.SendKeys(chromedp.ID("f-method"), "signed form"),
		chromedp.Click(chromedp.ID("record-consent")),
	)
	webtest.WaitJS(t, cw, "consent listed", `!!document.querySelector('#consent-list') && document.querySelector('#consent-list').innerText.includes('In force')`)
	refer()
	webtest.WaitJS(t, cw, "referred", `!!document.querySelector('.flash') && document.querySelector('#case-referrals .referral-status') !== null`)

	// The lawyer's inbox, untouched since it opened, shows the referral.
	webtest.WaitJS(t, lawyer, "the referral arrives live", `[...document.querySelectorAll('#incoming tr[data-referral]')].some(r => r.innerText.includes('`+ref+`'))`)
	webtest.Shot(t, lawyer, "inbox-live")
	// The live inbox redraws its table when it hears of a change, so a
	// node found by one call may be gone by the next: each click is found
	// and made in one script, and the next page is waited for.
	webtest.Submit(t, lawyer, "accept", chromedp.Evaluate[chromedp.Void](`document.querySelector('#incoming button.accept').click()`))
	webtest.WaitJS(t, lawyer, "accepted", `!!document.querySelector('#incoming a[href^="/cases/"]')`)
	webtest.Submit(t, lawyer, "open the case", chromedp.Evaluate[chromedp.Void](`document.querySelector('#incoming a[href^="/cases/"]').click()`))
	webtest.WaitJS(t, lawyer, "the shared case", `!!document.getElementById('case-ref')`)
	identity := webtest.Get(t, lawyer, "identity", chromedp.Text(chromedp.ID("class-identity")))
	contact := webtest.Get(t, lawyer, "contact", chromedp.Text(chromedp.ID("class-contact")))
	if !strings.Contains(identity, "Ana") {
		t.Errorf("the lawyer does not see the granted identity class: %q", identity)
	}
	if strings.Contains(contact, "+381") || !strings.Contains(contact, "Withheld") {
		t.Errorf("the contact class is not withheld from the lawyer: %q", contact)
	}
	webtest.Shot(t, lawyer, "case-shared")

	webtest.Do(t, cw, "reload the case", chromedp.Navigate(env.URL+casePath))
	if got := webtest.Get(t, cw, "referral status", chromedp.Text(chromedp.CSS("#case-referrals .referral-status"))); got != "Accepted" {
		t.Errorf("the caseworker sees the referral as %q", got)
	}
}

// Another organisation's case id typed into the URL is "not found", as is
// an id that names no case and a path that is no id.
func TestOtherOrganisationsCaseIsNotFound(t *testing.T) {
	t.Parallel()
	env := webtest.Start(t)
	sha := env.Client(t, "caseworker@shelter-a")
	id := createCase(t, env, sha)

	csc := webtest.NewBrowser(t)
	env.SignIn(t, csc, "caseworker@cso-c")
	for _, path := range []string{"/cases/" + id, "/cases/00000000-0000-4000-8000-000000000000", "/cases/SHA-2026-0001"} {
		webtest.Do(t, csc, "open "+path, chromedp.Navigate(env.URL+path))
		if got := webtest.Get(t, csc, "problem", chromedp.Text(chromedp.ID("problem"))); !strings.HasPrefix(got, "Not found") {
			t.Errorf("%s as cso-c: %q", path, got)
		}
	}
	webtest.Shot(t, csc, "not-found")
	resp, err := env.Client(t, "caseworker@cso-c").Get(env.URL + "/cases/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
}

var intakeRID = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// createCase opens a case through the intake form and returns its id.
func createCase(t *testing.T, env *webtest.Env, c *http.Client) string {
	t.Helper()
	form := intakeForm(t, env, c)
	return postIntake(t, env, c, form)
}

func intakeForm(t *testing.T, env *webtest.Env, c *http.Client) url.Values {
	t.Helper()
	resp, err := c.Get(env.URL + "/cases/new")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	rid := intakeRID.FindStringSubmatch(b.String())
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(b.String())
	if rid == nil || tok == nil {
		t.Fatalf("intake form without request id or token")
	}
	return url.Values{"csrf": {tok[1]}, "request_id": {rid[1]}, "sex": {"SEX_MALE"}, "given_names": {"Marko"}, "country": {"RS"}}
}

func postIntake(t *testing.T, env *webtest.Env, c *http.Client, form url.Values) string {
	t.Helper()
	resp, err := c.PostForm(env.URL+"/cases/new", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := strings.TrimPrefix(resp.Request.URL.Path, "/cases/")
	if resp.StatusCode != http.StatusOK || len(id) != 36 {
		t.Fatalf("intake: %s at %s", resp.Status, resp.Request.URL)
	}
	return id
}

// A retried intake (the same form posted twice: a double click, a reload
// after a lost answer) opens one case, not two.
func TestIntakeRetryMakesOneCase(t *testing.T) {
	t.Parallel()
	env := webtest.Start(t)
	c := env.Client(t, "caseworker@shelter-a")
	form := intakeForm(t, env, c)
	first := postIntake(t, env, c, form)
	second := postIntake(t, env, c, form)
	if first != second {
		t.Errorf("the retried form opened a second case: %s, then %s", first, second)
	}
	other := postIntake(t, env, c, intakeForm(t, env, c))
	if other == first {
		t.Errorf("a new form reused the first case")
	}
}
