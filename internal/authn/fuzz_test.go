package authn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/authn"
)

// FuzzVerify parses hostile bearer tokens. Only a token the issuer signed
// verifies, and then as the subject it was minted for: a forged, altered,
// unsigned ("alg": "none") or expired token is refused — never a panic.
func FuzzVerify(f *testing.F) {
	issuer, err := authn.LoadOrCreateDevIssuer(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	v, err := authn.NewDevVerifier(issuer)
	if err != nil {
		f.Fatal(err)
	}
	good, err := issuer.Mint("caseworker@shelter-a", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	expired, err := issuer.MintAt("caseworker@shelter-a", time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	for _, s := range []string{
		good, expired,
		parts[0] + "." + parts[1] + ".",                                                        // signature removed
		"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",                                // alg none
		parts[0] + "." + parts[1] + "x." + parts[2],                                            // payload altered
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo", // HS256, another key
		"a.b.c", "...", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := v.Verify(ctx, raw)
		if err != nil {
			return
		}
		if raw != good {
			t.Fatalf("a token other than the one minted verified: %q as %q", raw, c.Subject)
		}
		if c.Subject != "caseworker@shelter-a" {
			t.Fatalf("the minted token verified as %q", c.Subject)
		}
	})
}
