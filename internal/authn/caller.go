package authn

import (
	"context"
	"time"
)

// Caller is the authenticated identity behind a request. It carries only the
// token's subject: roles and organisation membership are looked up by authz,
// so that revoking a role takes effect without waiting for tokens to expire.
type Caller struct {
	// Subject is the token's "sub" claim, never empty for a verified caller.
	Subject string
	// Expiry is the token's "exp": a verified token may be trusted again
	// without re-checking its signature until then, never after.
	Expiry time.Time
	// TokenID names the token without being it: its "jti" claim, or the
	// hex SHA-256 of the token when it has none. Revocation is keyed by it.
	TokenID string
}

type callerKey struct{}

// WithCaller returns a context that carries c, so that handlers downstream of
// the authentication interceptor can learn who is calling without re-parsing
// the token.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller stored by [WithCaller]. The boolean is false
// when the request was never authenticated, which handlers must treat as
// Unauthenticated rather than as an anonymous caller.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
