package authn

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// trustedKeys are the signers whose public keys the file verifier trusts.
type trustedKeys struct {
	ed, es, rs signer
}

func newTrustedKeys(t *testing.T) trustedKeys {
	t.Helper()
	return trustedKeys{
		ed: newEdSigner(t, "ed-1"),
		es: newESSigner(t, "es-1"),
		rs: newRSASigner(t, "rs-1"),
	}
}

func newFileVerifier(t *testing.T, keys trustedKeys, leeway time.Duration) *Verifier {
	t.Helper()
	path := writeJWKS(t, tempPath(t, "jwks.json"), keys.ed.public(t), keys.es.public(t), keys.rs.public(t))
	v, err := NewVerifier(context.Background(), Config{
		Issuer:   testIssuer,
		Audience: testAudience,
		JWKSFile: path,
		Leeway:   leeway,
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestVerify(t *testing.T) {
	keys := newTrustedKeys(t)
	v := newFileVerifier(t, keys, 0)
	now := time.Now()

	with := func(f func(*claims)) claims {
		c := validClaims()
		f(&c)
		return c
	}
	// A key the verifier does not trust, published under a trusted kid.
	impostor := newEdSigner(t, "ed-1")
	unknownKid := newEdSigner(t, "ed-unknown")
	// The same RSA key signing with an algorithm outside the allow-list.
	rsaPS256 := signer{key: keys.rs.key, alg: jwa.PS256()}
	// Algorithm confusion: HMAC keyed with the trusted Ed25519 public key.
	hmacConfused := newSigner(t, edPublicBytes(t, keys.ed), jwa.HS256(), "ed-1")

	valid := keys.ed.sign(t, validClaims())
	expired := with(func(c *claims) {
		c.iat, c.nbf, c.exp = now.Add(-2*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	})
	tampered := func() string {
		other := keys.ed.sign(t, with(func(c *claims) { c.sub = "admin" }))
		p := strings.Split(valid, ".")
		q := strings.Split(other, ".")
		return p[0] + "." + q[1] + "." + p[2]
	}()

	tests := []struct {
		name    string
		raw     string
		wantSub string
		wantErr error
	}{
		{name: "valid EdDSA", raw: valid, wantSub: "user-42"},
		{name: "valid ES256", raw: keys.es.sign(t, validClaims()), wantSub: "user-42"},
		{name: "valid RS256", raw: keys.rs.sign(t, validClaims()), wantSub: "user-42"},
		{name: "audience list containing ours", raw: keys.ed.sign(t, with(func(c *claims) { c.aud = []string{"other", testAudience} })), wantSub: "user-42"},
		{name: "no token", raw: "", wantErr: ErrNoToken},
		{name: "not a JWT", raw: "not-a-jwt", wantErr: ErrMalformed},
		{name: "three empty segments", raw: "..", wantErr: ErrMalformed},
		{name: "garbage segments", raw: "abc.def.ghi", wantErr: ErrMalformed},
		{name: "JWE-like five segments", raw: "a.b.c.d.e", wantErr: ErrMalformed},
		{name: "oversized", raw: strings.Repeat("a", maxTokenSize) + ".b.c", wantErr: ErrMalformed},
		{name: "signed by another key with trusted kid", raw: impostor.sign(t, validClaims()), wantErr: ErrBadSignature},
		{name: "signed by unknown kid", raw: unknownKid.sign(t, validClaims()), wantErr: ErrBadSignature},
		{name: "tampered payload", raw: tampered, wantErr: ErrBadSignature},
		{name: "alg none", raw: unsignedToken(t, "ed-1", validClaims()), wantErr: ErrBadSignature},
		{name: "HS256 keyed with public key", raw: hmacConfused.sign(t, validClaims()), wantErr: ErrBadSignature},
		{name: "no kid with several trusted keys", raw: keys.ed.signWithHeaders(t, validClaims(), nil, true), wantErr: ErrBadSignature},
		{name: "critical header extension", raw: keys.ed.signWithHeaders(t, validClaims(), map[string]any{"crit": []string{"exp"}, "exp": 1}, false), wantErr: ErrMalformed},
		{name: "PS256 not accepted", raw: rsaPS256.sign(t, validClaims()), wantErr: ErrBadSignature},
		{name: "expired", raw: keys.ed.sign(t, expired), wantErr: ErrExpired},
		{name: "not yet valid", raw: keys.ed.sign(t, with(func(c *claims) { c.nbf = now.Add(time.Hour); c.exp = now.Add(2 * time.Hour) })), wantErr: ErrNotYetValid},
		{name: "issued in the future", raw: keys.ed.sign(t, with(func(c *claims) { c.iat = now.Add(time.Hour); c.exp = now.Add(2 * time.Hour) })), wantErr: ErrNotYetValid},
		{name: "wrong issuer", raw: keys.ed.sign(t, with(func(c *claims) { c.iss = "https://evil.example" })), wantErr: ErrWrongIssuer},
		{name: "no issuer", raw: keys.ed.sign(t, with(func(c *claims) { c.iss = "" })), wantErr: ErrWrongIssuer},
		{name: "wrong audience", raw: keys.ed.sign(t, with(func(c *claims) { c.aud = []string{"other-service"} })), wantErr: ErrWrongAudience},
		{name: "no audience", raw: keys.ed.sign(t, with(func(c *claims) { c.aud = nil })), wantErr: ErrWrongAudience},
		{name: "missing sub", raw: keys.ed.sign(t, with(func(c *claims) { c.sub = "" })), wantErr: ErrNoSubject},
		{name: "blank sub", raw: keys.ed.sign(t, with(func(c *claims) { c.sub = "   " })), wantErr: ErrNoSubject},
		{name: "missing exp", raw: keys.ed.sign(t, with(func(c *claims) { c.exp = time.Time{} })), wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tc.raw)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify() error = %v, want %v", err, tc.wantErr)
				}
				if got != (Caller{}) {
					t.Fatalf("Verify() returned caller %+v alongside an error", got)
				}
				assertNoTokenLeak(t, err, tc.raw)
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if got.Subject != tc.wantSub {
				t.Fatalf("Verify() subject = %q, want %q", got.Subject, tc.wantSub)
			}
		})
	}
}

// edPublicBytes returns s's Ed25519 public key bytes: the material an
// attacker would use as an HMAC secret in an algorithm-confusion token.
func edPublicBytes(t *testing.T, s signer) []byte {
	t.Helper()
	pub := s.public(t)
	okp, ok := pub.(jwk.OKPPublicKey)
	if !ok {
		t.Fatalf("want OKP key, got %T", pub)
	}
	x, ok := okp.X()
	if !ok {
		t.Fatal("OKP key has no x")
	}
	return x
}

// octKey wraps s's public key bytes as a symmetric JWK with s's kid.
func octKey(t *testing.T, s signer) jwk.Key {
	t.Helper()
	k, err := jwk.Import(edPublicBytes(t, s))
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := s.key.KeyID()
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerifyErrorsMatchLibraryErrors(t *testing.T) {
	keys := newTrustedKeys(t)
	v := newFileVerifier(t, keys, 0)
	c := validClaims()
	c.exp = time.Now().Add(-time.Hour)
	c.iat, c.nbf = c.exp.Add(-time.Hour), c.exp.Add(-time.Hour)

	_, err := v.Verify(context.Background(), keys.ed.sign(t, c))
	if !errors.Is(err, ErrExpired) || !errors.Is(err, jwt.TokenExpiredError()) {
		t.Fatalf("want ErrExpired wrapping jwt.TokenExpiredError, got %v", err)
	}
}

func TestVerifyLeeway(t *testing.T) {
	keys := newTrustedKeys(t)
	strict := newFileVerifier(t, keys, 0)
	lenient := newFileVerifier(t, keys, time.Minute)
	now := time.Now()

	tests := []struct {
		name string
		c    claims
		want error // from the strict verifier; the lenient one accepts all
	}{
		{name: "expired 10s ago", c: claims{iss: testIssuer, aud: []string{testAudience}, sub: "u", iat: now.Add(-time.Hour), exp: now.Add(-10 * time.Second)}, want: ErrExpired},
		{name: "valid in 10s", c: claims{iss: testIssuer, aud: []string{testAudience}, sub: "u", nbf: now.Add(10 * time.Second), exp: now.Add(time.Hour)}, want: ErrNotYetValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := keys.ed.sign(t, tc.c)
			if _, err := strict.Verify(context.Background(), raw); !errors.Is(err, tc.want) {
				t.Fatalf("strict: error = %v, want %v", err, tc.want)
			}
			if _, err := lenient.Verify(context.Background(), raw); err != nil {
				t.Fatalf("lenient: error = %v, want nil", err)
			}
		})
	}
}

func TestVerifyCancelledContext(t *testing.T) {
	keys := newTrustedKeys(t)
	v := newFileVerifier(t, keys, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, keys.ed.sign(t, validClaims()))
	if err == nil {
		// jwx may finish before noticing; a success is acceptable.
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	keys := newTrustedKeys(t)
	good := writeJWKS(t, tempPath(t, "jwks.json"), keys.ed.public(t))
	octOnly := writeJWKS(t, tempPath(t, "oct.json"), octKey(t, keys.ed))
	garbage := tempPath(t, "garbage.json")
	if err := os.WriteFile(garbage, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; empty means success
	}{
		{name: "file ok", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: good}},
		{name: "neither source", cfg: Config{Issuer: testIssuer, Audience: testAudience}, wantErr: "one of JWKSFile or JWKSURL is required"},
		{name: "both sources", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: good, JWKSURL: "https://idp.example/jwks"}, wantErr: "mutually exclusive"},
		{name: "no issuer", cfg: Config{Audience: testAudience, JWKSFile: good}, wantErr: "Issuer is required"},
		{name: "no audience", cfg: Config{Issuer: testIssuer, JWKSFile: good}, wantErr: "Audience is required"},
		{name: "negative leeway", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: good, Leeway: -time.Second}, wantErr: "Leeway"},
		{name: "missing file", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: tempPath(t, "nope.json")}, wantErr: "no such file"},
		{name: "unparsable file", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: garbage}, wantErr: "parse JWKS file"},
		{name: "only symmetric keys", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: octOnly}, wantErr: "no usable signing key"},
		{name: "relative URL", cfg: Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "/jwks.json"}, wantErr: "absolute http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(context.Background(), tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewVerifier: %v", err)
				}
				if v == nil {
					t.Fatal("NewVerifier returned nil verifier")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewVerifier error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestReload(t *testing.T) {
	oldKey := newEdSigner(t, "old")
	newKey := newEdSigner(t, "new")
	path := writeJWKS(t, tempPath(t, "jwks.json"), oldKey.public(t))
	v, err := NewVerifier(context.Background(), Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	oldTok := oldKey.sign(t, validClaims())
	newTok := newKey.sign(t, validClaims())

	check := func(step, raw string, wantErr error) {
		t.Helper()
		if _, err := v.Verify(context.Background(), raw); !errors.Is(err, wantErr) {
			t.Fatalf("%s: Verify error = %v, want %v", step, err, wantErr)
		}
	}
	check("before reload, old key", oldTok, nil)
	check("before reload, new key", newTok, ErrBadSignature)

	writeJWKS(t, path, newKey.public(t))
	check("file changed, not reloaded", newTok, ErrBadSignature)
	if err := v.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	check("after reload, new key", newTok, nil)
	check("after reload, old key", oldTok, ErrBadSignature)

	if err := os.WriteFile(path, []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := v.Reload(); err == nil {
		t.Fatal("Reload of a broken file succeeded")
	}
	check("failed reload keeps keys", newTok, nil)
}

func TestReloadWithoutFile(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewDevVerifier(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Reload(); err == nil || !strings.Contains(err.Error(), "not backed by a JWKS file") {
		t.Fatalf("Reload error = %v, want 'not backed by a JWKS file'", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	keys := newTrustedKeys(t)
	v := newFileVerifier(t, keys, 0)
	raw := keys.es.sign(t, validClaims())
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 20 {
				if _, err = v.Verify(context.Background(), raw); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	go func() { _ = v.Reload() }()
	for range 8 {
		if err := <-done; err != nil {
			t.Fatalf("concurrent Verify: %v", err)
		}
	}
}

func TestVerifyWithoutKidSingleKey(t *testing.T) {
	ed := newEdSigner(t, "only")
	path := writeJWKS(t, tempPath(t, "jwks.json"), ed.public(t))
	v, err := NewVerifier(context.Background(), Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	// With a single trusted key there is nothing to choose between.
	if _, err := v.Verify(context.Background(), ed.signWithHeaders(t, validClaims(), nil, true)); err != nil {
		t.Fatalf("Verify() without kid, single key: %v", err)
	}
}

func TestUsableSetFiltersKeys(t *testing.T) {
	ed := newEdSigner(t, "ed")
	encKey := newESSigner(t, "enc").public(t)
	if err := encKey.Set(jwk.KeyUsageKey, jwk.ForEncryption); err != nil {
		t.Fatal(err)
	}
	mislabelled := newESSigner(t, "mislabelled").public(t)
	if err := mislabelled.Set(jwk.AlgorithmKey, jwa.RS256()); err != nil {
		t.Fatal(err)
	}
	priv := newRSASigner(t, "priv").key // a private key published by mistake

	set := jwk.NewSet()
	for _, k := range []jwk.Key{ed.public(t), encKey, mislabelled, octKey(t, newEdSigner(t, "oct")), priv} {
		if err := set.AddKey(k); err != nil {
			t.Fatal(err)
		}
	}
	got, err := usableSet(set)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for i := range got.Len() {
		k, _ := got.Key(i)
		kid, _ := k.KeyID()
		kids = append(kids, kid)
		if isPriv, _ := jwk.IsPrivateKey(k); isPriv {
			t.Fatalf("usableSet kept private material for %q", kid)
		}
	}
	if strings.Join(kids, ",") != "ed,priv" {
		t.Fatalf("usable kids = %v, want [ed priv]", kids)
	}

	dup := jwk.NewSet()
	_ = dup.AddKey(newEdSigner(t, "same").public(t))
	_ = dup.AddKey(newEdSigner(t, "same").public(t))
	if _, err := usableSet(dup); err == nil || !strings.Contains(err.Error(), "duplicate kid") {
		t.Fatalf("usableSet with duplicate kids = %v, want duplicate kid error", err)
	}
}
