package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRevokedTokenStaysRefusedPastItsExpiry: the server accepts an
// identity provider's token a little past its exp (clock skew), so a signed-out token must stay refused
// through that leeway too, even after the revocations of expired tokens
// are pruned (as every sign-out and every replica's prune loop does) and
// on a replica that has nothing cached.
func TestRevokedTokenStaysRefusedPastItsExpiry(t *testing.T) {
	const issuer = "https://idp.test.invalid"
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.Import(priv)
	if err != nil {
		t.Fatal(err)
	}
	_ = key.Set(jwk.KeyIDKey, "k1")
	pub, err := jwk.PublicKeyOf(key)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	a := servertest.Start(t, servertest.TrustIssuer(issuer, jwksFile))
	claims, err := jwt.NewBuilder().Issuer(issuer).Audience([]string{authn.DevAudience}).Subject("caseworker@shelter-a").
		JwtID("leeway-test").IssuedAt(time.Now()).Expiration(time.Now().Add(2 * time.Second)).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(claims, jwt.WithKey(jwa.ES256(), key))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(signed)
	with := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	if _, err := a.Organizations().RevokeCallerToken(with(), &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER}); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseInsecure([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := parsed.Expiration()
	time.Sleep(time.Until(exp.Add(1500 * time.Millisecond)))

	pool, err := pgxpool.New(context.Background(), a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := revocation.New(pool, nil).Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := servertest.StartOn(t, a.DBURL, a.DataDir, servertest.TrustIssuer(issuer, jwksFile))
	for name, r := range map[string]*servertest.Env{"A": a, "B (fresh)": b} {
		_, err := r.Cases().ListCases(with(), &casebridgev1.ListCasesRequest{OrganizationId: "shelter-a", PageSize: 1})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s, %v past the signed-out token's expiry: %v, want Unauthenticated", name, time.Since(exp).Round(time.Millisecond), err)
		}
	}
}
