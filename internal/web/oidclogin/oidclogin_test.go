package oidclogin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web/oidctest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// rig is a provider over TLS with its own CA, a casebridged that trusts the
// provider's issuer, and a web front serving the login and callback
// handlers.
type rig struct {
	provider *oidctest.Provider
	env      *servertest.Env
	client   *Client
	web      *httptest.Server

	mu      sync.Mutex
	results []Result
	errs    []error
}

const lawyer = "lawyer@legal-b"

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{}
	r.provider = oidctest.Start(t, oidctest.Options{TLS: true, Users: []oidctest.User{
		{Subject: lawyer, Username: "lawyer", Password: "correct horse"},
	}})
	r.env = servertest.Start(t, servertest.TrustIssuer(r.provider.Issuer, r.provider.WriteJWKS(t, filepath.Join(t.TempDir(), "jwks.json"))))

	mux := http.NewServeMux()
	r.web = httptest.NewServer(mux)
	t.Cleanup(r.web.Close)
	r.provider.AddClient("casebridge-web", "web-secret", r.web.URL+"/auth/callback")
	var err error
	r.client, err = New(context.Background(), Config{
		Issuer: r.provider.Issuer, ClientID: "casebridge-web", ClientSecret: "web-secret",
		RedirectURL: r.web.URL + "/auth/callback", HTTPClient: r.provider.HTTPClient(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("/auth/login", r.client.Login())
	mux.Handle("/auth/callback", r.client.Callback(func(w http.ResponseWriter, _ *http.Request, res Result) {
		r.mu.Lock()
		r.results = append(r.results, res)
		r.mu.Unlock()
		Continue(w, "/", "en", "Continue")
	}, func(w http.ResponseWriter, _ *http.Request, err error) {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
		http.Error(w, "refused", http.StatusBadRequest)
	}))
	return r
}

// browser is a cookie-keeping client that trusts the test CA, as a browser
// on a machine with that CA installed would.
func (r *rig) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.provider.HTTPClient()
	c.Jar = jar
	return c
}

// signInAtProvider starts a sign-in in b, fills in the provider's form and
// returns the callback URL the provider redirects to, not yet followed.
func (r *rig) signInAtProvider(t *testing.T, b *http.Client) *url.URL {
	t.Helper()
	var callback *url.URL
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), r.web.URL+"/auth/callback") {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { b.CheckRedirect = nil }()
	resp, err := b.Get(r.web.URL + "/auth/login")
	if err != nil {
		t.Fatalf("start sign-in: %v", err)
	}
	drain(resp)
	form := resp.Request.URL
	if form.Path != oidctest.LoginPath || !strings.HasPrefix(form.String(), r.provider.Issuer) {
		t.Fatalf("sign-in led to %s, want the provider's form", form)
	}
	resp, err = b.PostForm(r.provider.Issuer+oidctest.LoginPath, url.Values{
		"authRequestID": {form.Query().Get("authRequestID")}, "username": {"lawyer"}, "password": {"correct horse"}})
	if err != nil {
		t.Fatalf("sign in at provider: %v", err)
	}
	drain(resp)
	if callback == nil {
		t.Fatalf("provider answered %s without returning to the web client", resp.Status)
	}
	q := callback.Query()
	if q.Get("code") == "" || q.Get("state") == "" {
		t.Fatalf("callback without code or state: %v", q)
	}
	return callback
}

// finish follows the callback and returns what the web client made of it.
func (r *rig) finish(t *testing.T, b *http.Client, callback *url.URL) (Result, error) {
	t.Helper()
	r.mu.Lock()
	nres, nerr := len(r.results), len(r.errs)
	r.mu.Unlock()
	resp, err := b.Get(callback.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	drain(resp)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(r.results) > nres && len(r.errs) == nerr:
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("success answered %s", resp.Status)
		}
		return r.results[nres], nil
	case len(r.errs) > nerr && len(r.results) == nres:
		return Result{}, r.errs[nerr]
	default:
		t.Fatalf("callback produced %d results and %d errors", len(r.results)-nres, len(r.errs)-nerr)
		return Result{}, nil
	}
}

// flowCookie returns the sealed flow the browser carries.
func (r *rig) flowCookie(t *testing.T, b *http.Client) (*http.Cookie, flow) {
	t.Helper()
	u, _ := url.Parse(r.web.URL)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == r.client.cookieName() {
			var f flow
			if err := r.client.aead.open(c.Name, c.Value, &f); err != nil {
				t.Fatalf("open flow cookie: %v", err)
			}
			return c, f
		}
	}
	t.Fatal("no flow cookie in the browser")
	return nil, flow{}
}

// replaceFlow puts an altered flow, sealed as the web client would, into b.
func (r *rig) replaceFlow(t *testing.T, b *http.Client, f flow) {
	t.Helper()
	sealed, err := r.client.aead.seal(r.client.cookieName(), f)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.web.URL)
	b.Jar.SetCookies(u, []*http.Cookie{{Name: r.client.cookieName(), Value: sealed, Path: "/"}})
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestSignIn: the code flow with PKCE against a real provider over TLS ends
// in a token casebridged accepts for the signed-in subject, over gRPC; the
// same answer used twice is refused.
func TestSignIn(t *testing.T) {
	r := newRig(t)
	b := r.browser(t)
	callback := r.signInAtProvider(t, b)
	if got := callback.Query().Get("state"); got == "" {
		t.Fatal("no state")
	}
	res, err := r.finish(t, b, callback)
	if err != nil {
		t.Fatalf("sign-in refused: %v", err)
	}
	if res.Subject != lawyer || res.Token == "" {
		t.Fatalf("result %q with token %t; want %s", res.Subject, res.Token != "", lawyer)
	}
	if until := time.Until(res.Expiry); until < 50*time.Minute || until > 61*time.Minute {
		t.Fatalf("expiry in %v, want the provider's hour", until)
	}

	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+res.Token), 10*time.Second)
	defer cancel()
	me, err := r.env.Organizations().GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
	if err != nil {
		t.Fatalf("casebridged refused the provider's token: %v", err)
	}
	if me.GetSubject() != lawyer || len(me.GetMemberships()) != 1 || me.GetMemberships()[0].GetOrganizationId() != "legal-b" {
		t.Fatalf("caller %v, want %s of legal-b", me, lawyer)
	}
	// The server still checks the token: altered, it is refused.
	bad := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+res.Token[:len(res.Token)-4]+"AAAA")
	bad, cancelBad := context.WithTimeout(bad, 10*time.Second)
	defer cancelBad()
	if _, err := r.env.Organizations().GetCallerIdentity(bad, &casebridgev1.GetCallerIdentityRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("altered token: %v, want Unauthenticated", err)
	}

	// The flow cookie is gone: the same answer replayed starts nothing.
	if _, err := r.finish(t, b, callback); !errors.Is(err, ErrNoFlow) {
		t.Fatalf("replayed callback: %v, want ErrNoFlow", err)
	}
}

// TestRefused: a state, nonce or PKCE verifier other than the one this
// browser's sign-in made is refused, and so is an altered or absent flow.
func TestRefused(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		name string
		// alter changes the browser's flow or the callback URL.
		alter func(t *testing.T, b *http.Client, callback *url.URL) *url.URL
		want  error
	}{
		{"state of another sign-in", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Set("state", randomString())
			cb.RawQuery = q.Encode()
			return cb
		}, ErrState},
		{"code of this sign-in, state of a sign-in started since", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			// A second sign-in in the same browser replaces the flow.
			resp, err := b.Get(r.web.URL + "/auth/login")
			if err != nil {
				t.Fatal(err)
			}
			drain(resp)
			return cb
		}, ErrState},
		{"nonce of another sign-in", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			_, f := r.flowCookie(t, b)
			f.Nonce = randomString()
			r.replaceFlow(t, b, f)
			return cb
		}, ErrNonce},
		{"PKCE verifier of another sign-in", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			_, f := r.flowCookie(t, b)
			f.Verifier = randomString()
			r.replaceFlow(t, b, f)
			return cb
		}, ErrExchange},
		{"flow cookie altered", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			c, _ := r.flowCookie(t, b)
			v := []byte(c.Value)
			v[len(v)/2] ^= 1
			u, _ := url.Parse(r.web.URL)
			b.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: string(v), Path: "/"}})
			return cb
		}, ErrNoFlow},
		{"flow expired", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			_, f := r.flowCookie(t, b)
			f.Expires = time.Now().Add(-time.Second).Unix()
			r.replaceFlow(t, b, f)
			return cb
		}, ErrExpired},
		{"another browser", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			b.Jar, _ = cookiejar.New(nil)
			return cb
		}, ErrNoFlow},
		{"provider's error", func(t *testing.T, b *http.Client, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			cb.RawQuery = q.Encode()
			return cb
		}, ErrProvider},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := r.browser(t)
			cb := tc.alter(t, b, r.signInAtProvider(t, b))
			res, err := r.finish(t, b, cb)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (subject %q), want %v", err, res.Subject, tc.want)
			}
			if strings.Contains(err.Error(), cb.Query().Get("code")) && cb.Query().Get("code") != "" {
				t.Fatalf("error %q carries the code", err)
			}
		})
	}
}

// TestUntrustedCA: a client that does not trust the test CA cannot even
// discover the provider.
func TestUntrustedCA(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{TLS: true})
	_, err := New(context.Background(), Config{Issuer: p.Issuer, ClientID: "x", RedirectURL: "http://127.0.0.1/cb",
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("discovery with the system roots: %v, want a certificate error", err)
	}
}
