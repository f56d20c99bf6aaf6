package authn

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const (
	testIssuer   = "https://idp.example.test"
	testAudience = "casebridge-test"
)

// signer is a real private key plus the algorithm it signs with.
type signer struct {
	key jwk.Key
	alg jwa.SignatureAlgorithm
}

func newSigner(t testing.TB, raw any, alg jwa.SignatureAlgorithm, kid string) signer {
	t.Helper()
	key, err := jwk.Import(raw)
	if err != nil {
		t.Fatalf("import key: %v", err)
	}
	if err := key.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatalf("set kid: %v", err)
	}
	return signer{key: key, alg: alg}
}

func newEdSigner(t testing.TB, kid string) signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate ed25519: %v", err)
	}
	return newSigner(t, priv, jwa.EdDSA(), kid)
}

func newESSigner(t testing.TB, kid string) signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate p256: %v", err)
	}
	return newSigner(t, priv, jwa.ES256(), kid)
}

func newRSASigner(t testing.TB, kid string) signer {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate rsa: %v", err)
	}
	return newSigner(t, priv, jwa.RS256(), kid)
}

func (s signer) public(t testing.TB) jwk.Key {
	t.Helper()
	pub, err := s.key.PublicKey()
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	return pub
}

// claims are the token's claims; zero values are left out of the token.
type claims struct {
	iss, sub, jti string
	aud           []string
	iat, nbf, exp time.Time
}

func validClaims() claims {
	now := time.Now()
	return claims{
		iss: testIssuer,
		sub: "user-42",
		aud: []string{testAudience},
		iat: now.Add(-time.Minute),
		nbf: now.Add(-time.Minute),
		exp: now.Add(time.Hour),
	}
}

func (c claims) token(t testing.TB) jwt.Token {
	t.Helper()
	tok := jwt.New()
	set := func(name string, v any) {
		if err := tok.Set(name, v); err != nil {
			t.Fatalf("set %s: %v", name, err)
		}
	}
	if c.iss != "" {
		set(jwt.IssuerKey, c.iss)
	}
	if c.sub != "" {
		set(jwt.SubjectKey, c.sub)
	}
	if c.jti != "" {
		set(jwt.JwtIDKey, c.jti)
	}
	if c.aud != nil {
		set(jwt.AudienceKey, c.aud)
	}
	if !c.iat.IsZero() {
		set(jwt.IssuedAtKey, c.iat)
	}
	if !c.nbf.IsZero() {
		set(jwt.NotBeforeKey, c.nbf)
	}
	if !c.exp.IsZero() {
		set(jwt.ExpirationKey, c.exp)
	}
	return tok
}

func (s signer) sign(t testing.TB, c claims) string {
	t.Helper()
	signed, err := jwt.Sign(c.token(t), jwt.WithKey(s.alg, s.key))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return string(signed)
}

// unsignedToken builds an alg "none" token by hand, as an attacker would.
func unsignedToken(t testing.TB, kid string, c claims) string {
	t.Helper()
	hdr, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(c.token(t))
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload) + "."
}

// writeJWKS writes the given keys as a JWKS file and returns its path.
func writeJWKS(t testing.TB, path string, keys ...jwk.Key) string {
	t.Helper()
	data := jwksJSON(t, keys...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("write JWKS: %v", err)
	}
	return path
}

func jwksJSON(t testing.TB, keys ...jwk.Key) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k); err != nil {
			t.Fatalf("add key: %v", err)
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	return data
}

// assertNoTokenLeak fails if err's message contains the token or any of its
// three segments.
func assertNoTokenLeak(t *testing.T, err error, raw string) {
	t.Helper()
	if err == nil || raw == "" {
		return
	}
	msg := err.Error()
	if strings.Contains(msg, raw) {
		t.Fatalf("error message contains the token: %q", msg)
	}
	for _, part := range strings.Split(raw, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			t.Fatalf("error message contains a token segment: %q", msg)
		}
	}
}

func tempPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}

// signWithHeaders signs c with extra protected headers, for tokens that
// jwt.Sign would not produce (crit, missing kid).
func (s signer) signWithHeaders(t testing.TB, c claims, hdr map[string]any, dropKid bool) string {
	t.Helper()
	payload, err := json.Marshal(c.token(t))
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatalf("set header %s: %v", k, err)
		}
	}
	key := s.key
	if dropKid {
		if key, err = s.key.Clone(); err != nil {
			t.Fatal(err)
		}
		if err := key.Remove(jwk.KeyIDKey); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := jws.Sign(payload, jws.WithKey(s.alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatalf("jws.Sign: %v", err)
	}
	return string(signed)
}
