package authn

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCachingVerifierNeverOutlivesTheToken(t *testing.T) {
	issuer, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewDevVerifier(issuer)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCachingVerifier(v, 2, time.Hour)
	now := time.Now()
	c.now = func() time.Time { return now }
	tok, err := issuer.Mint("caseworker@shelter-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		caller, err := c.Verify(context.Background(), tok)
		if err != nil || caller.Subject != "caseworker@shelter-a" {
			t.Fatalf("verify: %v %v", caller, err)
		}
	}
	if len(c.entries) != 1 {
		t.Fatalf("cache holds %d entries", len(c.entries))
	}
	// Past the token's expiry the cache no longer vouches for it, and the
	// verifier refuses it (the verifier reads the real clock, so this only
	// checks the cache's own bound).
	now = now.Add(2 * time.Minute)
	if _, ok := c.entries[keyOf(tok)]; !ok {
		t.Fatal("entry vanished")
	}
	if e := c.entries[keyOf(tok)]; now.Before(e.until) {
		t.Fatalf("cache would trust the token until %v, past its expiry", e.until)
	}
	// A bad token is never cached.
	if _, err := c.Verify(context.Background(), tok+"x"); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("tampered token: %v", err)
	}
	if len(c.entries) != 1 {
		t.Fatalf("a refused token was cached")
	}
}

func keyOf(tok string) [32]byte { return sha256Sum(tok) }
