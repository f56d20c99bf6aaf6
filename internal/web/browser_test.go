package web_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/language"

	"github.com/casebridge/casebridge/internal/web"
	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/session"
	"github.com/casebridge/casebridge/internal/web/webtest"
)

func TestMain(m *testing.M) { webtest.Main(m) }

// Every page carries the security headers: a strict CSP with no inline
// script, no framing, no caching of pages, no referrer.
func TestSecurityHeaders(t *testing.T) {
	env := webtest.Start(t)
	c := env.Client(t, "caseworker@shelter-a")
	for _, path := range []string{"/signin", "/cases", "/cases/new", "/referrals", "/no-such-page"} {
		resp, err := c.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval: %q", path, csp)
		}
		for k, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
	}
}

// A form posted without its token is refused, and so is one posted from
// another site with a valid token; the same form with its token passes.
func TestFormWithoutCSRFTokenIsRefused(t *testing.T) {
	env := webtest.Start(t)
	c := env.Client(t, "caseworker@shelter-a")
	tok := webtest.FormToken(t, c, env.URL+"/cases")
	post := func(form url.Values, hdr map[string]string) int {
		req, _ := http.NewRequest("POST", env.URL+"/cases/search", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(url.Values{"reference": {"SHA-2026-0001"}}, nil); got != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", got)
	}
	if got := post(url.Values{"reference": {"SHA-2026-0001"}, "csrf": {"forged"}}, nil); got != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", got)
	}
	if got := post(url.Values{"reference": {"SHA-2026-0001"}, "csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); got != http.StatusForbidden {
		t.Errorf("cross-site with token: %d, want 403", got)
	}
	if got := post(url.Values{"reference": {"SHA-2026-0001"}, "csrf": {tok}}, nil); got != http.StatusOK {
		t.Errorf("with token: %d, want 200", got)
	}

	// In the browser: the search form with its token taken out.
	ctx := webtest.NewBrowser(t)
	env.SignIn(t, ctx, "caseworker@shelter-a")
	webtest.Do(t, ctx, "post the search form without its token",
		chromedp.Navigate(env.URL+"/cases"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/cases/search"] input[name=csrf]').remove()`),
		chromedp.SendKeys(chromedp.ID("f-ref"), "SHA-2026-0001"),
		chromedp.Click(chromedp.ID("search")),
		chromedp.WaitVisible(chromedp.ID("problem")),
	)
	if got := webtest.Text(t, ctx); !strings.Contains(got, "This form has expired") {
		t.Errorf("refused form says %q", got)
	}
}

// Each page renders in each language: lang set, no ⟦untranslated⟧ key,
// every input labelled.
func TestPagesInEveryLanguage(t *testing.T) {
	env := webtest.Start(t)
	id := createCase(t, env, env.Client(t, "caseworker@shelter-a"))
	ctx := webtest.NewBrowser(t)
	env.SignIn(t, ctx, "caseworker@shelter-a")
	signedOut := webtest.NewBrowser(t)
	pages := []string{"/cases", "/cases/new", "/cases/" + id, "/referrals", "/welcome", "/no-such-page"}
	check := func(ctx context.Context, lang language.Tag, p string) {
		t.Helper()
		webtest.Do(t, ctx, "open "+p, chromedp.Navigate(env.URL+p))
		if got := webtest.Get(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang.String() {
			t.Errorf("%s in %s: lang=%q", p, lang, got)
		}
		unlabelled := webtest.Get(t, ctx, "labels", chromedp.Evaluate[string](`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
			.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id).join(',')`))
		if unlabelled != "" {
			t.Errorf("%s in %s: inputs without a label: %s", p, lang, unlabelled)
		}
		html := webtest.Get(t, ctx, "html", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if i := strings.Index(html, "⟦"); i >= 0 {
			t.Errorf("%s in %s: untranslated message near %q", p, lang, html[i:min(len(html), i+60)])
		}
	}
	for _, lang := range i18n.Languages {
		for _, c := range []context.Context{ctx, signedOut} {
			webtest.Do(t, c, "switch to "+lang.String(), chromedp.Navigate(env.URL+"/lang?to="+lang.String()+"&back=/signin"))
		}
		check(signedOut, lang, "/signin")
		for _, p := range pages {
			check(ctx, lang, p)
		}
		webtest.Do(t, ctx, "case list", chromedp.Navigate(env.URL+"/cases"))
		webtest.Shot(t, ctx, "cases-"+lang.String())
	}
}

// The browser's Accept-Language chooses the language of a first visit.
func TestAcceptLanguage(t *testing.T) {
	t.Parallel()
	env := webtest.Start(t)
	for accept, want := range map[string]string{"sq-AL,sq;q=0.9": "sq", "sr-RS,sr;q=0.9": "sr-Latn", "mk": "mk", "de-DE": "en"} {
		req, _ := http.NewRequest("GET", env.URL+"/signin", nil)
		req.Header.Set("Accept-Language", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `<html lang="`+want+`">`) {
			t.Errorf("Accept-Language %q: page is not lang=%s", accept, want)
		}
	}
}

// The session's token never reaches the page's script, nothing is kept in
// browser storage, an unattended page signs itself out when the idle time
// is up, and signing out ends the session in the browser.
func TestIdleAndSignOut(t *testing.T) {
	t.Parallel() // it mostly waits for the idle time
	env := webtest.Start(t, func(c *web.Config) { c.Idle = 2 * time.Second })
	ctx := webtest.NewBrowser(t)
	env.SignIn(t, ctx, "caseworker@shelter-a")
	if got := webtest.Get(t, ctx, "cookies", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(got, "casebridge") {
		t.Errorf("the page's script sees the session cookie: %q", got)
	}
	if n := webtest.Get(t, ctx, "storage", chromedp.Evaluate[int](`localStorage.length + sessionStorage.length`)); n != 0 {
		t.Errorf("%d items in browser storage", n)
	}
	// Untouched, the page goes to /idle after the idle time, which finds
	// the session over and shows the sign-in page.
	webtest.WaitJS(t, ctx, "idle sign-out", `location.pathname === '/signin' && document.body.innerText.includes('signed out after a time without activity')`)
	webtest.Do(t, ctx, "open the case list", chromedp.Navigate(env.URL+"/cases"))
	if p := webtest.Path(t, ctx); p != "/signin" {
		t.Errorf("after the idle sign-out /cases shows %s", p)
	}

	env.SignIn(t, ctx, "caseworker@shelter-a")
	webtest.Do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
	webtest.WaitJS(t, ctx, "signed out", `location.pathname === '/signin' && document.body.innerText.includes('You are signed out.')`)
	webtest.Do(t, ctx, "open the case list", chromedp.Navigate(env.URL+"/cases"))
	if p := webtest.Path(t, ctx); p != "/signin" {
		t.Errorf("after signing out /cases shows %s", p)
	}
}

// Two replicas with one session key file serve one session, and signing
// out on one ends it on the other: the session is the browser's cookie,
// which sign-out clears, and no replica keeps a copy.
func TestReplicasShareSessions(t *testing.T) {
	t.Parallel()
	keyFile := filepath.Join(t.TempDir(), "session-keys")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(session.NewKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := webtest.Start(t, func(c *web.Config) { c.SessionKeyFile = keyFile })
	b := a.Replica(t)
	ctx := webtest.NewBrowser(t)
	a.SignIn(t, ctx, "caseworker@shelter-a")
	webtest.Do(t, ctx, "the case list on replica b", chromedp.Navigate(b.URL+"/cases"))
	if p := webtest.Path(t, ctx); p != "/cases" {
		t.Fatalf("replica b does not know the session from a: at %s", p)
	}
	webtest.Do(t, ctx, "sign out on b", chromedp.Click(chromedp.ID("signout")))
	webtest.WaitJS(t, ctx, "signed out", `location.pathname === '/signin'`)
	webtest.Do(t, ctx, "the case list on replica a", chromedp.Navigate(a.URL+"/cases"))
	if p := webtest.Path(t, ctx); p != "/signin" {
		t.Errorf("after signing out on b, replica a shows %s", p)
	}
}
