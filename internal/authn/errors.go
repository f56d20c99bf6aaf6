package authn

import "errors"

// Sentinel errors returned by [Verifier.Verify] and [TokenFromMetadata].
// Match them with errors.Is; each names one problem so that logs and metrics
// can tell a clock-skew issue from a forged token without ever seeing the
// token itself. All of them map to gRPC Unauthenticated.
var (
	// ErrNoToken means the request carried no bearer token at all.
	ErrNoToken = errors.New("authn: no bearer token")
	// ErrMalformed means the credential is not a well-formed compact JWT (or
	// the authorization header is not a bearer credential).
	ErrMalformed = errors.New("authn: malformed token")
	// ErrBadSignature means the token is not signed by a trusted key with an
	// accepted algorithm (EdDSA, ES256, RS256).
	ErrBadSignature = errors.New("authn: token signature is not valid")
	// ErrExpired means the token's exp lies in the past (beyond the leeway).
	ErrExpired = errors.New("authn: token has expired")
	// ErrNotYetValid means the token's nbf or iat lies in the future (beyond
	// the leeway).
	ErrNotYetValid = errors.New("authn: token is not yet valid")
	// ErrWrongIssuer means the token's iss is not the configured issuer.
	ErrWrongIssuer = errors.New("authn: token issuer is not trusted")
	// ErrWrongAudience means the token's aud does not name this service.
	ErrWrongAudience = errors.New("authn: token audience does not include this service")
	// ErrNoSubject means the token has no (or an empty) sub claim, so there
	// is nobody to authorise.
	ErrNoSubject = errors.New("authn: token has no subject")
)

// tokenError is what Verify returns. Its message is the sentinel's message
// plus an optional detail written by this package. The library error that
// caused it is kept for errors.Is/errors.As but deliberately not printed,
// because library messages may echo attacker-controlled header or claim
// values.
type tokenError struct {
	kind   error  // one of the sentinels above
	detail string // fixed text from this package; never token content
	cause  error  // underlying library error, may be nil
}

func (e *tokenError) Error() string {
	if e.detail == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.detail
}

func (e *tokenError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func newTokenError(kind error, detail string, cause error) error {
	return &tokenError{kind: kind, detail: detail, cause: cause}
}
