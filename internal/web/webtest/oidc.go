package webtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web"
	"github.com/casebridge/casebridge/internal/web/oidctest"
)

// ProviderClientID is the web client's registration at the test provider.
const ProviderClientID = "casebridge-web"

// StartWithProvider runs an OpenID provider (internal/web/oidctest) with
// users, a casebridged that trusts its tokens beside dev ones, and the web
// client offering both sign-ins, until t ends.
func StartWithProvider(t testing.TB, users []oidctest.User, opts ...Option) (*Env, *oidctest.Provider) {
	t.Helper()
	p := oidctest.Start(t, oidctest.Options{Users: users})
	dir := t.TempDir()
	api := servertest.Start(t, servertest.TrustIssuer(p.Issuer, p.WriteJWKS(t, filepath.Join(dir, "jwks.json"))))
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte("web-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := StartOn(t, api, append([]Option{func(c *web.Config) {
		c.OIDC = web.OIDCConfig{Issuer: p.Issuer, ClientID: ProviderClientID, ClientSecretFile: secret}
	}}, opts...)...)
	p.AddClient(ProviderClientID, "web-secret", env.URL+"/signin/oidc/callback")
	return env, p
}

// SignInThroughProvider signs in on the provider's own form, as a person
// would, and waits for the first page of the web client.
func (e *Env) SignInThroughProvider(t testing.TB, ctx context.Context, username, password string) {
	t.Helper()
	Do(t, ctx, "sign in as "+username+" through the identity provider",
		chromedp.Navigate(e.URL+"/signin"),
		chromedp.Click(chromedp.ID("signin-oidc")),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("signout")),
	)
}
