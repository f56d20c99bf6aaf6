package authn

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const (
	// DevIssuerName is the "iss" of dev tokens. It is distinct from any real
	// identity provider so a dev token can never pass a production verifier.
	DevIssuerName = "casebridge-dev"
	// DevAudience is the "aud" of dev tokens: this service.
	DevAudience = "casebridge"
	// devKeyFile is the private key's file name inside the data directory.
	devKeyFile = "dev-issuer.jwk"
)

// DevIssuer mints tokens for local development and tests, where there is no
// identity provider. Its Ed25519 key is kept in the data directory so tokens
// stay valid across server restarts. It must never be enabled in production:
// whoever can read the data directory can become any user.
type DevIssuer struct {
	priv jwk.Key // private key, with kid and alg set
	pub  jwk.Key // its public half
	kid  string
}

// LoadOrCreateDevIssuer returns the issuer whose key is stored in
// <dataDir>/dev-issuer.jwk, creating the directory (0700) and the key file
// (0600, written atomically) on first use. An existing key file that others
// can read is refused, as ssh does, because it would let them mint tokens.
func LoadOrCreateDevIssuer(dataDir string) (*DevIssuer, error) {
	if dataDir == "" {
		return nil, errors.New("authn: dev issuer: data directory is required")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("authn: dev issuer: create data directory: %w", err)
	}
	path := filepath.Join(dataDir, devKeyFile)

	d, err := loadDevIssuer(path)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	created, data, err := newDevIssuer()
	if err != nil {
		return nil, err
	}
	err = createFileAtomic(path, data, 0o600)
	switch {
	case err == nil:
		return created, nil
	case errors.Is(err, fs.ErrExist):
		// Another process created it first; use theirs so both agree.
		return loadDevIssuer(path)
	default:
		return nil, fmt.Errorf("authn: dev issuer: save key: %w", err)
	}
}

func loadDevIssuer(path string) (*DevIssuer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("authn: dev issuer: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("authn: dev issuer: %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("authn: dev issuer: %s has mode %04o; it must not be accessible to group or others (chmod 600)", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authn: dev issuer: read key: %w", err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("authn: dev issuer: parse key %s: %w", path, err)
	}
	d, err := devIssuerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("authn: dev issuer: key %s: %w", path, err)
	}
	return d, nil
}

// newDevIssuer generates a key and returns the issuer with the JWK JSON to
// persist.
func newDevIssuer() (*DevIssuer, []byte, error) {
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: generate key: %w", err)
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: import key: %w", err)
	}
	// The kid is the RFC 7638 thumbprint, so it identifies the key itself.
	if err := jwk.AssignKeyID(key); err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: assign kid: %w", err)
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: set alg: %w", err)
	}
	if err := key.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: set use: %w", err)
	}
	d, err := devIssuerFromKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: %w", err)
	}
	data, err := json.Marshal(key)
	if err != nil {
		return nil, nil, fmt.Errorf("authn: dev issuer: encode key: %w", err)
	}
	return d, append(data, '\n'), nil
}

func devIssuerFromKey(key jwk.Key) (*DevIssuer, error) {
	isPrivate, err := jwk.IsPrivateKey(key)
	if err != nil || !isPrivate {
		return nil, errors.New("not a private key")
	}
	if alg, ok := keyAlgorithm(key); !ok || alg.String() != jwa.EdDSA().String() {
		return nil, errors.New("not an Ed25519 signing key")
	}
	kid, ok := key.KeyID()
	if !ok || kid == "" {
		return nil, errors.New("key has no kid")
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return &DevIssuer{priv: key, pub: pub, kid: kid}, nil
}

// KeyID returns the kid placed in every minted token's header, which lets
// operators tell which dev key signed a token.
func (d *DevIssuer) KeyID() string { return d.kid }

// Mint returns an EdDSA-signed JWT for subject, valid from now for ttl, with
// iss DevIssuerName, aud DevAudience, a random jti and the key's kid.
func (d *DevIssuer) Mint(subject string, ttl time.Duration) (string, error) {
	return d.MintAt(subject, time.Now(), ttl)
}

// MintAt is Mint for a token issued at now instead of the current time: a
// token issued two hours ago for one hour is an expired token, which is
// what tests of expiry need.
func (d *DevIssuer) MintAt(subject string, now time.Time, ttl time.Duration) (string, error) {
	if strings.TrimSpace(subject) == "" {
		return "", errors.New("authn: mint: subject is required")
	}
	if ttl <= 0 {
		return "", errors.New("authn: mint: ttl must be positive")
	}
	tok, err := jwt.NewBuilder().
		Issuer(DevIssuerName).
		Audience([]string{DevAudience}).
		Subject(subject).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(ttl)).
		JwtID(rand.Text()).
		Build()
	if err != nil {
		return "", fmt.Errorf("authn: mint: build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), d.priv))
	if err != nil {
		return "", fmt.Errorf("authn: mint: sign token: %w", err)
	}
	return string(signed), nil
}

// PublicJWKS returns a fresh set holding the issuer's public key, for
// serving or for building a Verifier. Callers may modify it.
func (d *DevIssuer) PublicJWKS() jwk.Set {
	set := jwk.NewSet()
	pub, err := d.pub.PublicKey() // a copy, so callers cannot alter d.pub
	if err != nil {
		pub = d.pub
	}
	_ = set.AddKey(pub) // cannot fail: the set is new and the key valid
	return set
}

// WriteJWKS writes the public JWKS to path (mode 0644, replaced atomically),
// so that a server configured with Config.JWKSFile accepts dev tokens.
func (d *DevIssuer) WriteJWKS(path string) error {
	data, err := json.MarshalIndent(d.PublicJWKS(), "", "  ")
	if err != nil {
		return fmt.Errorf("authn: write dev JWKS: encode: %w", err)
	}
	if err := replaceFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("authn: write dev JWKS: %w", err)
	}
	return nil
}

// NewDevVerifier returns a Verifier that accepts exactly the tokens issuer
// mints (iss DevIssuerName, aud DevAudience), with no files or network.
func NewDevVerifier(issuer *DevIssuer) (*Verifier, error) {
	if issuer == nil {
		return nil, errors.New("authn: dev verifier: issuer is nil")
	}
	set, err := usableSet(issuer.PublicJWKS())
	if err != nil {
		return nil, fmt.Errorf("authn: dev verifier: %w", err)
	}
	memory := newMemoryKeys(set)
	return &Verifier{
		issuer:   DevIssuerName,
		audience: DevAudience,
		provider: &keyProvider{src: memory},
		memory:   memory,
	}, nil
}
