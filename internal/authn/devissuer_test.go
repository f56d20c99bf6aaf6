package authn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

func TestDevIssuerPersistsKey(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data") // does not exist yet
	first, err := LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		t.Fatalf("first LoadOrCreateDevIssuer: %v", err)
	}
	second, err := LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		t.Fatalf("second LoadOrCreateDevIssuer: %v", err)
	}
	if first.KeyID() == "" || first.KeyID() != second.KeyID() {
		t.Fatalf("kid changed across loads: %q then %q", first.KeyID(), second.KeyID())
	}

	// A token minted before the "restart" verifies with the reloaded issuer.
	raw, err := first.Mint("user-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewDevVerifier(second)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := v.Verify(context.Background(), raw); err != nil || c.Subject != "user-1" {
		t.Fatalf("Verify() = %+v, %v; want user-1", c, err)
	}

	keyInfo, err := os.Stat(filepath.Join(dataDir, devKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := keyInfo.Mode().Perm(); got != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", got)
	}
	dirInfo, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := dirInfo.Mode().Perm(); got != 0o700 {
		t.Fatalf("data dir mode = %04o, want 0700", got)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s (temp file left behind?)", len(entries), devKeyFile)
	}
}

func TestDevIssuerKeyFileIsPrivateJWK(t *testing.T) {
	dataDir := t.TempDir()
	d, err := LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dataDir, devKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		t.Fatalf("key file is not a JWK: %v", err)
	}
	if private, _ := jwk.IsPrivateKey(key); !private {
		t.Fatal("key file does not hold a private key")
	}
	if kid, _ := key.KeyID(); kid != d.KeyID() {
		t.Fatalf("file kid %q != issuer kid %q", kid, d.KeyID())
	}
	// The published JWKS must never carry the private part.
	if strings.Contains(mustJSON(t, d.PublicJWKS()), `"d"`) {
		t.Fatal("PublicJWKS contains private key material")
	}
}

func TestDevIssuerConcurrentCreate(t *testing.T) {
	dataDir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := LoadOrCreateDevIssuer(dataDir)
			errs[i] = err
			if err == nil {
				kids[i] = d.KeyID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("concurrent creators disagree on the key: %q vs %q", kids[i], kids[0])
		}
	}
}

func TestDevIssuerRejectsExposedKeyFile(t *testing.T) {
	dataDir := t.TempDir()
	if _, err := LoadOrCreateDevIssuer(dataDir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, devKeyFile)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateDevIssuer(dataDir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("LoadOrCreateDevIssuer with a 0644 key = %v, want a refusal", err)
	}
}

func TestDevIssuerRejectsCorruptKeyFile(t *testing.T) {
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, devKeyFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateDevIssuer(dataDir); err == nil {
		t.Fatal("LoadOrCreateDevIssuer accepted a corrupt key file")
	}
}

func TestDevIssuerMint(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Second)
	raw, err := d.Mint("user-7", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	msg, err := jws.ParseString(raw)
	if err != nil {
		t.Fatal(err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if alg, _ := hdr.Algorithm(); alg.String() != "EdDSA" {
		t.Fatalf("alg = %q, want EdDSA", alg)
	}
	if kid, _ := hdr.KeyID(); kid != d.KeyID() {
		t.Fatalf("kid = %q, want %q", kid, d.KeyID())
	}

	tok, err := jwt.ParseString(raw, jwt.WithKeySet(d.PublicJWKS()))
	if err != nil {
		t.Fatal(err)
	}
	iss, _ := tok.Issuer()
	aud, _ := tok.Audience()
	sub, _ := tok.Subject()
	jti, _ := tok.JwtID()
	iat, _ := tok.IssuedAt()
	nbf, _ := tok.NotBefore()
	exp, _ := tok.Expiration()
	if iss != DevIssuerName || len(aud) != 1 || aud[0] != DevAudience || sub != "user-7" {
		t.Fatalf("claims iss=%q aud=%q sub=%q", iss, aud, sub)
	}
	if jti == "" {
		t.Fatal("jti is empty")
	}
	if iat.Before(before) || nbf.Before(before) || exp.Sub(iat) != 10*time.Minute {
		t.Fatalf("times iat=%v nbf=%v exp=%v", iat, nbf, exp)
	}

	other, err := d.Mint("user-7", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := jwt.ParseString(other, jwt.WithKeySet(d.PublicJWKS()))
	if err != nil {
		t.Fatal(err)
	}
	if otherJTI, _ := otherTok.JwtID(); otherJTI == jti {
		t.Fatal("two minted tokens share a jti")
	}

	for _, bad := range []struct {
		sub string
		ttl time.Duration
	}{{"", time.Minute}, {"  ", time.Minute}, {"u", 0}, {"u", -time.Second}} {
		if _, err := d.Mint(bad.sub, bad.ttl); err == nil {
			t.Fatalf("Mint(%q, %v) succeeded", bad.sub, bad.ttl)
		}
	}
}

func TestDevIssuerWriteJWKS(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := tempPath(t, "dev-jwks.json")
	if err := d.WriteJWKS(path); err != nil {
		t.Fatalf("WriteJWKS: %v", err)
	}
	if err := d.WriteJWKS(path); err != nil { // overwriting is fine
		t.Fatalf("second WriteJWKS: %v", err)
	}
	v, err := NewVerifier(context.Background(), Config{Issuer: DevIssuerName, Audience: DevAudience, JWKSFile: path})
	if err != nil {
		t.Fatalf("NewVerifier from dev JWKS: %v", err)
	}
	raw, err := d.Mint("user-9", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := v.Verify(context.Background(), raw); err != nil || c.Subject != "user-9" {
		t.Fatalf("Verify() = %+v, %v", c, err)
	}

	// A token from a different dev key (another data directory) is refused.
	stranger, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	strangerTok, err := stranger.Mint("user-9", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), strangerTok); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("stranger's token: error = %v, want ErrBadSignature", err)
	}
}

func TestDevTokenRejectedByProductionVerifier(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Even if the dev key were (wrongly) trusted, iss and aud differ.
	path := tempPath(t, "jwks.json")
	if err := d.WriteJWKS(path); err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(context.Background(), Config{Issuer: testIssuer, Audience: testAudience, JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.Mint("user-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), raw); !errors.Is(err, ErrWrongIssuer) {
		t.Fatalf("error = %v, want ErrWrongIssuer", err)
	}
}

func TestNewDevVerifierNil(t *testing.T) {
	if _, err := NewDevVerifier(nil); err == nil {
		t.Fatal("NewDevVerifier(nil) succeeded")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
