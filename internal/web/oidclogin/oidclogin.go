package oidclogin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/oauth2"
)

// Config says which provider to use and as which client.
type Config struct {
	// Issuer is the provider's issuer URL: the same issuer whose tokens
	// casebridged trusts (its --jwt-issuer).
	Issuer string
	// ClientID and ClientSecret are the web client's registration at the
	// provider. An empty secret makes a public client, protected by PKCE
	// alone.
	ClientID     string
	ClientSecret string
	// RedirectURL is the absolute URL the callback handler is served at, as
	// registered at the provider.
	RedirectURL string
	// Scopes are requested beside "openid" (for example a scope that makes
	// the provider put casebridged in the access token's audience).
	Scopes []string
	// HTTPClient reaches the provider (discovery, keys, token endpoint);
	// its transport decides which CAs are trusted. Nil: the default client.
	HTTPClient *http.Client
	// FlowKey (32 bytes) seals the cookie that carries a sign-in between
	// the redirect and the return. Every replica behind one load balancer
	// needs the same key; nil makes a random one (one replica only).
	FlowKey []byte
	// Secure marks the cookie Secure and gives it the __Host- prefix; set
	// it whenever the web client is served over https.
	Secure bool
	// FlowTTL bounds how long a person may take at the provider; zero
	// means ten minutes.
	FlowTTL time.Duration
}

// Result is a completed sign-in.
type Result struct {
	// Token is the access token to present to casebridged as a bearer
	// token. It must never reach the browser.
	Token string
	// Expiry is when the token stops being accepted: a session built on it
	// must end by then.
	Expiry time.Time
	// Subject is the signed-in person's "sub" at the provider, the subject
	// casebridged knows them by.
	Subject string
}

// Why a callback was refused. Each error a callback reports matches one of
// these with errors.Is; none carries a token or a code.
var (
	// ErrNoFlow: no sign-in was started in this browser, or its cookie was
	// altered.
	ErrNoFlow = errors.New("oidclogin: no sign-in in progress")
	// ErrExpired: the sign-in took longer than Config.FlowTTL.
	ErrExpired = errors.New("oidclogin: sign-in took too long")
	// ErrState: the state returned is not the one this browser sent, as
	// when a code is pushed into someone else's browser (login CSRF).
	ErrState = errors.New("oidclogin: state does not match")
	// ErrProvider: the provider answered with an error (the person
	// declined, or the provider refused the request).
	ErrProvider = errors.New("oidclogin: the identity provider refused the sign-in")
	// ErrExchange: the code could not be exchanged for tokens, as when the
	// PKCE verifier does not match the challenge.
	ErrExchange = errors.New("oidclogin: code exchange failed")
	// ErrIDToken: the ID token is missing or does not verify.
	ErrIDToken = errors.New("oidclogin: ID token is not valid")
	// ErrNonce: the ID token was minted for another sign-in.
	ErrNonce = errors.New("oidclogin: nonce does not match")
)

// Client runs sign-ins against one provider. Build it once with New.
type Client struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	issuer   string
	http     *http.Client
	aead     aeadSealer
	secure   bool
	ttl      time.Duration
}

// New discovers the provider (which must answer now: a wrong issuer fails
// at start, not at the first sign-in) and returns a client for it.
func New(ctx context.Context, cfg Config) (*Client, error) {
	var problems []string
	if cfg.Issuer == "" {
		problems = append(problems, "Issuer is required")
	}
	if cfg.ClientID == "" {
		problems = append(problems, "ClientID is required")
	}
	if cfg.RedirectURL == "" {
		problems = append(problems, "RedirectURL is required")
	}
	if cfg.FlowKey != nil && len(cfg.FlowKey) != chacha20poly1305.KeySize {
		problems = append(problems, fmt.Sprintf("FlowKey must be %d bytes", chacha20poly1305.KeySize))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("oidclogin: %s", strings.Join(problems, "; "))
	}
	key := cfg.FlowKey
	if key == nil {
		key = make([]byte, chacha20poly1305.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, httpClient), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidclogin: discover %s: %w", cfg.Issuer, err)
	}
	ttl := cfg.FlowTTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	return &Client{
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, cfg.Scopes...),
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		issuer:   cfg.Issuer,
		http:     httpClient,
		aead:     aeadSealer{aead},
		secure:   cfg.Secure,
		ttl:      ttl,
	}, nil
}

// flow is what the browser carries, sealed, between redirect and return.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

func (c *Client) cookieName() string {
	if c.secure {
		return "__Host-casebridge-signin"
	}
	return "casebridge-signin"
}

// Login is the handler that starts a sign-in: it remembers a fresh state,
// nonce and PKCE verifier in the flow cookie and redirects to the provider.
func (c *Client) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
			Expires: time.Now().Add(c.ttl).Unix()}
		sealed, err := c.aead.seal(c.cookieName(), f)
		if err != nil {
			http.Error(w, "sign-in could not start", http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, c.cookie(sealed, int(c.ttl/time.Second)))
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, c.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
	})
}

func (c *Client) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: c.cookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode}
}

// Callback is the handler the provider returns to. On success it calls done
// with the result; otherwise fail with an error matching one of the Err
// values (nil fail answers 400 with a short text). The flow cookie is
// deleted either way: a sign-in is finished once.
func (c *Client) Callback(done func(http.ResponseWriter, *http.Request, Result), fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	if fail == nil {
		fail = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, "sign-in failed", http.StatusBadRequest)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		res, err := c.finish(r)
		http.SetCookie(w, c.cookie("", -1))
		if err != nil {
			fail(w, r, err)
			return
		}
		done(w, r, res)
	})
}

// providerErrorCode keeps an error code the provider sent only if it looks
// like one (RFC 6749 codes), so that nothing else from the URL is echoed.
var providerErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

func (c *Client) finish(r *http.Request) (Result, error) {
	cookie, err := r.Cookie(c.cookieName())
	if err != nil {
		return Result{}, ErrNoFlow
	}
	var f flow
	if err := c.aead.open(c.cookieName(), cookie.Value, &f); err != nil {
		return Result{}, ErrNoFlow
	}
	if time.Now().Unix() > f.Expires {
		return Result{}, ErrExpired
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return Result{}, ErrState
	}
	// RFC 9207: an answer naming another issuer is a mix-up attack.
	if iss := q.Get("iss"); iss != "" && iss != c.issuer {
		return Result{}, fmt.Errorf("%w: answer from another issuer", ErrProvider)
	}
	if code := q.Get("error"); code != "" {
		if !providerErrorCode.MatchString(code) {
			code = "unknown"
		}
		return Result{}, fmt.Errorf("%w: %s", ErrProvider, code)
	}
	code := q.Get("code")
	if code == "" {
		return Result{}, fmt.Errorf("%w: no code", ErrExchange)
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, c.http)
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && providerErrorCode.MatchString(re.ErrorCode) {
			return Result{}, fmt.Errorf("%w: %s", ErrExchange, re.ErrorCode)
		}
		return Result{}, ErrExchange
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return Result{}, fmt.Errorf("%w: none in the answer", ErrIDToken)
	}
	idt, err := c.verifier.Verify(oidc.ClientContext(r.Context(), c.http), rawID)
	if err != nil {
		return Result{}, ErrIDToken
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Result{}, ErrNonce
	}
	if tok.AccessToken == "" {
		return Result{}, fmt.Errorf("%w: no access token", ErrExchange)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Result{}, fmt.Errorf("%w: access token does not match", ErrIDToken)
		}
	}
	// A provider that omits expires_in still bounds the session by the
	// ID token's expiry.
	expiry := tok.Expiry
	if expiry.IsZero() {
		expiry = idt.Expiry
	}
	return Result{Token: tok.AccessToken, Expiry: expiry, Subject: idt.Subject}, nil
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// continuePage moves on to a same-origin path without script (the page's
// CSP allows none): a navigation this page starts is same-site, so the
// session cookie set beside it is sent.
var continuePage = template.Must(template.New("continue").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={{.Path}}"><title>Casebridge</title></head>
<body><p><a href="{{.Path}}">{{.Text}}</a></p></body></html>`))

// Continue answers a successful callback with a page that moves on to path
// (a same-origin path such as "/"); text labels its link for a browser that
// does not follow the refresh, in the page's language lang.
func Continue(w http.ResponseWriter, path, lang, text string) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		path = "/"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = continuePage.Execute(w, map[string]string{"Path": path, "Lang": lang, "Text": text})
}
