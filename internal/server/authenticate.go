package server

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// publicMethod reports the calls that need no token: health checks for load
// balancers, and reflection so that grpcurl can list the API.
func publicMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

// authenticator verifies the bearer token of every non-public call and puts
// the caller in the context. The token itself is never logged or echoed.
type authenticator struct {
	verifier    *authn.CachingVerifier
	revocations *revocation.Revocations
}

// errRevoked is the answer to a token revoked before its expiry.
var errRevoked = errors.New("token has been revoked")

func (a *authenticator) authenticate(ctx context.Context, method string) (context.Context, error) {
	if publicMethod(method) {
		return ctx, nil
	}
	raw, err := authn.TokenFromMetadata(ctx)
	if err == nil {
		var caller authn.Caller
		caller, err = a.verifier.Verify(ctx, raw)
		if err == nil {
			revoked, rerr := a.revocations.Revoked(ctx, caller.TokenID, caller.Expiry)
			if rerr != nil {
				// Unknown is not "not revoked": refuse, and let the client retry.
				return ctx, rpcerr.Condition(codes.Unavailable, "token revocation could not be checked")
			}
			if !revoked {
				return authn.WithCaller(ctx, caller), nil
			}
			err = errRevoked
		}
	}
	return ctx, rpcerr.Unauthenticated("%s", unauthenticatedMessage(err))
}

// unauthenticatedMessage says which check failed, in words a client can act on.
func unauthenticatedMessage(err error) string {
	for _, known := range []error{authn.ErrNoToken, authn.ErrMalformed, authn.ErrBadSignature,
		authn.ErrExpired, authn.ErrNotYetValid, authn.ErrWrongIssuer, authn.ErrWrongAudience, authn.ErrNoSubject, errRevoked} {
		if errors.Is(err, known) {
			return strings.TrimPrefix(known.Error(), "authn: ")
		}
	}
	return "token could not be verified"
}

func (a *authenticator) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// errStreamTokenExpired ends a stream whose token expired while it was open:
// a token is trusted until its expiry, never after, however long the
// stream it opened lasts.
var errStreamTokenExpired = rpcerr.Unauthenticated("token has expired while the stream was open")

// errStreamTokenRevoked ends a stream whose token was revoked (signed out)
// while it was open: a sign-out ends the watches the token opened before
// it, on every replica, not only the calls made after it.
var errStreamTokenRevoked = rpcerr.Unauthenticated("token has been revoked while the stream was open")

func (a *authenticator) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		caller, ok := authn.CallerFrom(ctx)
		if !ok {
			return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		}
		ctx, revoke := context.WithCancelCause(ctx)
		defer revoke(nil)
		if !caller.Expiry.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadlineCause(ctx, caller.Expiry, errStreamTokenExpired)
			defer cancel()
		}
		if caller.TokenID != "" {
			// The stream is ended from the revocations' side the moment this
			// replica learns of a revocation: no goroutine or query per
			// stream.
			unwatch := a.revocations.Watch(caller.TokenID, caller.Expiry, func() { revoke(errStreamTokenRevoked) })
			defer unwatch()
			// A revocation announced between the check above and Watch
			// reached no watcher, but it did drop the cached answer: ask
			// once more.
			if revoked, rerr := a.revocations.Revoked(ctx, caller.TokenID, caller.Expiry); rerr != nil {
				return rpcerr.Condition(codes.Unavailable, "token revocation could not be checked")
			} else if revoked {
				return errStreamTokenRevoked
			}
		}
		err = handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errStreamTokenRevoked):
			// However the handler words its end, the client learns why.
			return errStreamTokenRevoked
		case err != nil && errors.Is(cause, errStreamTokenExpired):
			return errStreamTokenExpired
		}
		return err
	}
}
