package authn

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// jwksServer serves a JWKS that the test can swap, and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...jwk.Key) *jwksServer {
	t.Helper()
	s := &jwksServer{body: jwksJSON(t, keys...), status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(t *testing.T, keys ...jwk.Key) {
	t.Helper()
	body := jwksJSON(t, keys...)
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func newURLVerifier(t *testing.T, url string) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: url})
	if err != nil {
		t.Fatalf("NewVerifier(JWKSURL): %v", err)
	}
	t.Cleanup(func() {
		if err := v.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return v
}

func TestVerifyWithJWKSURL(t *testing.T) {
	ed := newEdSigner(t, "ed-1")
	es := newESSigner(t, "es-1")
	rs := newRSASigner(t, "rs-1")
	srv := newJWKSServer(t, ed.public(t), es.public(t), rs.public(t))
	v := newURLVerifier(t, srv.URL)

	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		{name: "EdDSA", raw: ed.sign(t, validClaims())},
		{name: "ES256", raw: es.sign(t, validClaims())},
		{name: "RS256", raw: rs.sign(t, validClaims())},
		{name: "impostor key", raw: newEdSigner(t, "ed-1").sign(t, validClaims()), wantErr: ErrBadSignature},
		{name: "alg none", raw: unsignedToken(t, "ed-1", validClaims()), wantErr: ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.raw)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify() error = %v, want %v", err, tc.wantErr)
			}
			if err == nil && c.Subject != "user-42" {
				t.Fatalf("Verify() subject = %q", c.Subject)
			}
			assertNoTokenLeak(t, err, tc.raw)
		})
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", n)
	}
}

func TestJWKSURLKeyRotation(t *testing.T) {
	oldKey := newEdSigner(t, "2026-01")
	newKey := newEdSigner(t, "2026-02")
	srv := newJWKSServer(t, oldKey.public(t))
	v := newURLVerifier(t, srv.URL)
	newTok := newKey.sign(t, validClaims())

	// The provider publishes the new key; the cache has not seen it yet.
	srv.serve(t, oldKey.public(t), newKey.public(t))

	// Within the miss gap an unknown kid does not trigger a fetch.
	if _, err := v.Verify(context.Background(), newTok); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("within miss gap: error = %v, want ErrBadSignature", err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("unknown kid within the miss gap caused a fetch (fetches = %d)", n)
	}

	// Once the gap has passed, the unknown kid triggers one refresh.
	v.remote.mu.Lock()
	v.remote.lastRefresh = time.Now().Add(-2 * v.remote.missGap)
	v.remote.mu.Unlock()
	c, err := v.Verify(context.Background(), newTok)
	if err != nil || c.Subject != "user-42" {
		t.Fatalf("after rotation: Verify() = %+v, %v", c, err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	// The old key is still published, so old tokens keep working.
	if _, err := v.Verify(context.Background(), oldKey.sign(t, validClaims())); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
}

func TestJWKSURLUnavailableAtStart(t *testing.T) {
	srv := newJWKSServer(t)
	srv.mu.Lock()
	srv.status = http.StatusInternalServerError
	srv.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := NewVerifier(ctx, Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "fetch JWKS") {
		t.Fatalf("NewVerifier with failing JWKS URL = %v, want a fetch error", err)
	}
}

func TestJWKSURLWithoutUsableKeys(t *testing.T) {
	ed := newEdSigner(t, "ed-1")
	srv := newJWKSServer(t, octKey(t, ed))
	_, err := NewVerifier(context.Background(), Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "no usable signing key") {
		t.Fatalf("NewVerifier with symmetric-only JWKS = %v, want 'no usable signing key'", err)
	}
}
