package authn

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestBeside: each issuer's tokens pass only with that issuer's keys and
// audience; naming the other issuer borrows none of its trust.
func TestBeside(t *testing.T) {
	dev, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	devVerifier, err := NewDevVerifier(dev)
	if err != nil {
		t.Fatal(err)
	}
	keys := newTrustedKeys(t)
	v := devVerifier.Beside(newFileVerifier(t, keys, 0))

	devToken, err := dev.Mint("caseworker@a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	devClaims := validClaims()
	devClaims.iss, devClaims.aud = DevIssuerName, []string{DevAudience}
	wrongAud := validClaims()
	wrongAud.aud = []string{"another-service"}

	for _, tc := range []struct {
		name    string
		raw     string
		subject string
		want    error
	}{
		{"dev token", devToken, "caseworker@a", nil},
		{"provider token", keys.rs.sign(t, validClaims()), "user-42", nil},
		{"provider's issuer, a key only the dev issuer does not hold either", newEdSigner(t, "ed-1").sign(t, validClaims()), "", ErrBadSignature},
		{"dev issuer's name signed by the provider's key", keys.ed.sign(t, devClaims), "", ErrBadSignature},
		{"provider token for another audience", keys.rs.sign(t, wrongAud), "", ErrWrongAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.raw)
			if tc.want == nil {
				if err != nil || c.Subject != tc.subject {
					t.Fatalf("got %v, %v; want subject %s", c, err, tc.subject)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}
