package authn

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// maxTokenSize bounds the work an unauthenticated request can cause; real
// tokens are well under 2 KiB.
const maxTokenSize = 8 << 10

// Config says which tokens a Verifier trusts.
type Config struct {
	// Issuer is the exact "iss" value required. Required: without it any
	// holder of a trusted key for another purpose could mint tokens for us.
	Issuer string
	// Audience must appear in the token's "aud". Required, for the same
	// reason: a token minted for another service must not work here.
	Audience string
	// JWKSFile is a local JWKS. It is read once at start; changes take
	// effect only through Verifier.Reload (no file watching, no SIGHUP).
	JWKSFile string
	// JWKSURL is the identity provider's JWKS endpoint. Keys are cached,
	// refreshed in the background, and refetched early when a token names
	// an unknown kid.
	JWKSURL string
	// Leeway tolerates clock skew between the issuer and this server when
	// checking exp, nbf and iat. Zero means none; negative is an error.
	Leeway time.Duration
}

// Verifier checks bearer JWTs. It is safe for concurrent use. Build it with
// NewVerifier (or NewDevVerifier) once at start and share it.
type Verifier struct {
	issuer   string
	audience string
	leeway   time.Duration
	provider *keyProvider

	file   string      // set when keys come from Config.JWKSFile
	memory *memoryKeys // set for file and dev-issuer verifiers
	remote *urlKeys    // set when keys come from Config.JWKSURL

	beside []*Verifier // issuers trusted beside this one (see Beside)
}

// NewVerifier builds a Verifier from cfg. Exactly one of JWKSFile and JWKSURL
// must be set. For a URL, ctx bounds the background refresh goroutines (and
// Close stops them earlier); NewVerifier waits for the first fetch so that a
// wrong URL fails at start rather than on the first request.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	v := &Verifier{issuer: cfg.Issuer, audience: cfg.Audience, leeway: cfg.Leeway}
	if cfg.JWKSFile != "" {
		set, err := loadJWKSFile(cfg.JWKSFile)
		if err != nil {
			return nil, err
		}
		v.file = cfg.JWKSFile
		v.memory = newMemoryKeys(set)
		v.provider = &keyProvider{src: v.memory}
		return v, nil
	}
	remote, err := newURLKeys(ctx, cfg.JWKSURL)
	if err != nil {
		return nil, err
	}
	v.remote = remote
	v.provider = &keyProvider{src: remote}
	return v, nil
}

func (c Config) validate() error {
	var problems []string
	if strings.TrimSpace(c.Issuer) == "" {
		problems = append(problems, "Issuer is required")
	}
	if strings.TrimSpace(c.Audience) == "" {
		problems = append(problems, "Audience is required")
	}
	switch {
	case c.JWKSFile == "" && c.JWKSURL == "":
		problems = append(problems, "one of JWKSFile or JWKSURL is required")
	case c.JWKSFile != "" && c.JWKSURL != "":
		problems = append(problems, "JWKSFile and JWKSURL are mutually exclusive; set only one")
	}
	if c.Leeway < 0 {
		problems = append(problems, "Leeway must not be negative")
	}
	if len(problems) > 0 {
		return fmt.Errorf("authn: invalid verifier config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Reload re-reads the JWKS file, for rotating keys without a restart. The
// old keys stay in force if the new file is unreadable or has no usable
// key. It fails for verifiers not built from a JWKS file.
func (v *Verifier) Reload() error {
	if v.file == "" {
		return errors.New("authn: reload: verifier is not backed by a JWKS file")
	}
	set, err := loadJWKSFile(v.file)
	if err != nil {
		return fmt.Errorf("authn: reload: %w", err)
	}
	v.memory.replace(set)
	return nil
}

// Close stops the background JWKS refresh of a URL-backed verifier. It is a
// no-op for the other kinds; Verify must not be called afterwards.
func (v *Verifier) Close(ctx context.Context) error {
	if err := v.closeBeside(ctx); err != nil {
		return err
	}
	if v.remote == nil {
		return nil
	}
	return v.remote.close(ctx)
}

// Verify checks raw (a compact JWT, without the "Bearer " prefix) and returns
// the caller it names. Failures match one of the package's sentinel errors
// with errors.Is, except that a cancelled ctx is returned as ctx.Err() so
// that it is not mistaken for a bad credential. No error message contains
// the token.
func (v *Verifier) Verify(ctx context.Context, raw string) (Caller, error) {
	if raw == "" {
		return Caller{}, ErrNoToken
	}
	if len(raw) > maxTokenSize {
		return Caller{}, newTokenError(ErrMalformed, "token is too large", nil)
	}
	if strings.Count(raw, ".") != 2 {
		// Only compact JWS is accepted: no JSON serialisation, no JWE.
		return Caller{}, newTokenError(ErrMalformed, "not a compact JWS", nil)
	}
	if chosen := v.route(raw); chosen != v {
		return chosen.Verify(ctx, raw)
	}

	tok, err := jwt.ParseString(raw,
		jwt.WithKeyProvider(v.provider),
		jwt.WithContext(ctx),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithAcceptableSkew(v.leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Caller{}, fmt.Errorf("authn: verify: %w", ctxErr)
		}
		return Caller{}, classify(err)
	}

	sub, ok := tok.Subject()
	if !ok || strings.TrimSpace(sub) == "" {
		return Caller{}, ErrNoSubject
	}
	exp, _ := tok.Expiration()
	id, _ := tok.JwtID()
	if strings.TrimSpace(id) == "" {
		sum := sha256Sum(raw)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	return Caller{Subject: sub, Expiry: exp, TokenID: id}, nil
}

// classify maps a jwt.Parse failure to one sentinel. Claim checks come
// first: jwx only validates claims after the signature has verified, so a
// claim error implies a genuine token that is merely stale or misdirected.
func classify(err error) error {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return newTokenError(ErrExpired, "", err)
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return newTokenError(ErrNotYetValid, "", err)
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return newTokenError(ErrNotYetValid, "issued in the future", err)
	case errors.Is(err, jwt.InvalidIssuerError()):
		return newTokenError(ErrWrongIssuer, "", err)
	case errors.Is(err, jwt.InvalidAudienceError()):
		return newTokenError(ErrWrongAudience, "", err)
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return newTokenError(ErrMalformed, "token has no exp claim", err)
	case errors.Is(err, errAlgNotAccepted):
		return newTokenError(ErrBadSignature, errAlgNotAccepted.Error(), err)
	case errors.Is(err, errUnknownKey):
		return newTokenError(ErrBadSignature, errUnknownKey.Error(), err)
	case errors.Is(err, errCritHeader):
		return newTokenError(ErrMalformed, errCritHeader.Error(), err)
	case errors.Is(err, jws.ParseError()):
		return newTokenError(ErrMalformed, "", err)
	case errors.Is(err, jws.VerifyError()):
		return newTokenError(ErrBadSignature, "", err)
	default:
		return newTokenError(ErrMalformed, "", err)
	}
}
