// Package oidctest runs a real OpenID provider in the test process — the
// zitadel/oidc "op" package over an in-memory store — for tests that sign
// users in to the web client by the authorization code flow with PKCE, and
// that hand the resulting token to a Casebridge server.
//
// The provider serves plain http or, with Options.TLS, https under a
// certificate of a CA made for the run; a client reaches it over TLS only if
// it trusts that CA (Provider.HTTPClient trusts nothing else). Its sign-in
// page is a plain form (user name, password), so a headless browser can sign
// in through it as a person would.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider. Subject becomes the tokens' "sub":
// make it a subject the Casebridge server knows (a member of an
// organisation).
type User struct {
	Subject  string
	Username string
	Password string
}

// Options configure Start.
type Options struct {
	// TLS serves the issuer over https under a fresh test CA.
	TLS bool
	// Audience is added to every token's "aud" beside the client id: the
	// API the access token is for. Empty means "casebridge".
	Audience string
	// TokenTTL is the lifetime of access tokens; zero means an hour.
	TokenTTL time.Duration
	// Users are the accounts that can sign in.
	Users []User
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL (https with Options.TLS).
	Issuer string
	// CA signed the provider's certificate; nil without TLS.
	CA    *CA
	store *storage
	srv   *httptest.Server
}

const (
	loginPath    = "/login"
	requestParam = "authRequestID"
)

// Start runs a provider on a loopback port until t ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.Audience == "" {
		opts.Audience = "casebridge"
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	store, err := newStorage(opts.Audience, opts.TokenTTL)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	for _, u := range opts.Users {
		store.users[u.Username] = u
	}
	p := &Provider{store: store}
	mux := http.NewServeMux()
	p.srv = httptest.NewUnstartedServer(mux)
	scheme := "http"
	if opts.TLS {
		if p.CA, err = NewCA(); err != nil {
			t.Fatalf("oidctest: %v", err)
		}
		cert, err := p.CA.ServerCert()
		if err != nil {
			t.Fatalf("oidctest: %v", err)
		}
		p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	p.Issuer = scheme + "://" + p.srv.Listener.Addr().String()

	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	cfg := &op.Config{
		CryptoKey:          cryptoKey,
		CodeMethodS256:     true,
		AuthMethodPost:     true,
		SupportedUILocales: []language.Tag{language.English},
	}
	var extra []op.Option
	if !opts.TLS {
		extra = append(extra, op.WithAllowInsecure())
	}
	provider, err := op.NewProvider(cfg, store, op.StaticIssuer(p.Issuer), extra...)
	if err != nil {
		t.Fatalf("oidctest: provider: %v", err)
	}
	callback := op.AuthCallbackURL(provider)
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux.Handle(loginPath, interceptor.Handler(p.login(callback)))
	mux.Handle("/", provider)

	if opts.TLS {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(p.srv.Close)
	return p
}

// AddClient registers a web client that redirects back to redirectURIs.
// An empty secret makes a public client, which PKCE alone protects.
func (p *Provider) AddClient(id, secret string, redirectURIs ...string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[id] = &client{id: id, secret: secret, redirectURIs: redirectURIs}
}

// AddUser adds an account after start.
func (p *Provider) AddUser(u User) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.users[u.Username] = u
}

// HTTPClient is a client that reaches the provider: over TLS it trusts only
// the test CA.
func (p *Provider) HTTPClient() *http.Client {
	if p.CA == nil {
		return &http.Client{Timeout: 10 * time.Second}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.CA.Pool(), MinVersion: tls.VersionTLS12},
	}}
}

// WriteJWKS saves the key set the provider publishes (fetched from its keys
// endpoint, as a server would) to path, for a server given --jwks-file.
func (p *Provider) WriteJWKS(t testing.TB, path string) string {
	t.Helper()
	resp, err := p.HTTPClient().Get(p.Issuer + "/keys")
	if err != nil {
		t.Fatalf("oidctest: fetch keys: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("oidctest: fetch keys: %s %v", resp.Status, err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// LoginPath is the path of the provider's sign-in form.
const LoginPath = loginPath

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main><h1>Sign in</h1>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<p><label for="username">User name</label> <input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit" id="submit">Sign in</button></p>
</form></main></body></html>`))

// login is the provider's sign-in page: it completes the authorisation
// request for the user whose password matches and returns to the
// provider's callback, which redirects to the client with a code.
func (p *Provider) login(callback func(context.Context, string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch r.Method {
		case http.MethodGet:
			_ = loginPage.Execute(w, map[string]string{"ID": r.URL.Query().Get(requestParam)})
		case http.MethodPost:
			id := r.PostFormValue(requestParam)
			if err := p.store.signIn(id, r.PostFormValue("username"), r.PostFormValue("password")); err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				_ = loginPage.Execute(w, map[string]string{"ID": id, "Error": err.Error()})
				return
			}
			http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
		default:
			http.Error(w, fmt.Sprintf("%s not allowed", r.Method), http.StatusMethodNotAllowed)
		}
	})
}
