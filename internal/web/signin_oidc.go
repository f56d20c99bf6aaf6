package web

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/web/oidclogin"
	"github.com/casebridge/casebridge/internal/web/session"
)

// OIDCConfig is the OpenID Connect sign-in: the organisation's identity
// provider, the same issuer whose tokens casebridged trusts.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; empty: no OpenID Connect sign-in.
	Issuer string
	// ClientID and ClientSecretFile are the web client's registration.
	ClientID         string
	ClientSecretFile string
	// RedirectURL is this client's callback as registered at the provider:
	// https://<host>/signin/oidc/callback.
	RedirectURL string
	// CAFile trusts only this CA for the provider; empty: the system's roots.
	CAFile string
	// Scopes are asked for beside "openid".
	Scopes []string
}

func (c OIDCConfig) validate() []error {
	if c.Issuer == "" {
		return nil
	}
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("--oidc-client-id is required with --oidc-issuer"))
	}
	if c.RedirectURL == "" {
		errs = append(errs, errors.New("--oidc-redirect-url is required with --oidc-issuer"))
	}
	return errs
}

// addOIDC offers OpenID Connect sign-in. The flow cookie's key is derived
// from the newest session key, so every replica with the session key file
// can finish a sign-in another replica started.
func (s *Server) addOIDC(ctx context.Context, sessionKey []byte) error {
	c := s.cfg.OIDC
	var secret string
	if c.ClientSecretFile != "" {
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			return fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	httpClient := &http.Client{Timeout: 15 * time.Second}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return fmt.Errorf("--oidc-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--oidc-ca %s: no certificate", c.CAFile)
		}
		httpClient.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	flowKey, err := hkdf.Key(sha256.New, sessionKey, nil, "casebridge-web oidc flow", 32)
	if err != nil {
		return err
	}
	client, err := oidclogin.New(ctx, oidclogin.Config{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: secret,
		RedirectURL: c.RedirectURL, Scopes: c.Scopes, HTTPClient: httpClient, FlowKey: flowKey, Secure: !s.cfg.Dev})
	if err != nil {
		return err
	}
	s.signIns = append(s.signIns, oidcSignIn{client: client})
	return nil
}

// oidcSignIn signs in through the identity provider (internal/web/oidclogin).
type oidcSignIn struct{ client *oidclogin.Client }

func (oidcSignIn) Name() string { return "oidc" }

func (o oidcSignIn) Routes(s *Server, mux *http.ServeMux) {
	// Starting is a link, not a form: the page's CSP (form-action 'self')
	// rightly stops a form's redirect to another origin. Another site that
	// starts a sign-in here gains nothing: the flow's state is bound to
	// this browser's cookie, and only the person can finish it.
	mux.Handle("GET /signin/oidc", s.Public(func(w http.ResponseWriter, q *Request) {
		o.client.Login().ServeHTTP(w, q.Request)
	}))
	mux.Handle("GET /signin/oidc/callback", s.Public(func(w http.ResponseWriter, q *Request) {
		o.client.Callback(func(w http.ResponseWriter, r *http.Request, res oidclogin.Result) {
			home, err := s.startSession(w, r, session.Login{Token: res.Token, Expiry: res.Expiry, Subject: res.Subject})
			if err != nil {
				s.signInFailed(w, q, err)
				return
			}
			// The session cookie is SameSite=Strict and this answer ends a
			// chain that began at the provider: move on from a page of
			// our own, whose navigation is same-site.
			oidclogin.Continue(w, home, q.L.Tag.String(), q.L.T("signin.continue"))
		}, func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Info("web: OpenID Connect sign-in refused", "why", oidcReason(err))
			s.signInPage(w, q, http.StatusBadRequest, "signin.oidc_failed")
		}).ServeHTTP(w, q.Request)
	}))
}

// oidcReason names which check refused a sign-in, for the log: never a
// token, a code or a state.
func oidcReason(err error) string {
	for _, e := range []error{oidclogin.ErrNoFlow, oidclogin.ErrExpired, oidclogin.ErrState, oidclogin.ErrProvider,
		oidclogin.ErrExchange, oidclogin.ErrIDToken, oidclogin.ErrNonce} {
		if errors.Is(err, e) {
			return strings.TrimPrefix(e.Error(), "oidclogin: ")
		}
	}
	return "unknown"
}
