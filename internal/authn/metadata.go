package authn

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"
)

// authorizationKey is the gRPC metadata key for credentials; gRPC lowercases
// all metadata keys.
const authorizationKey = "authorization"

// TokenFromMetadata extracts the bearer token from the incoming gRPC metadata
// ("authorization: Bearer <token>", scheme case-insensitive). It returns
// [ErrNoToken] when there is no credential (or a bare "Bearer") and
// [ErrMalformed] when there is one that is not a single bearer token, so that
// a misconfigured client gets a precise Unauthenticated message instead of a
// signature error.
func TokenFromMetadata(ctx context.Context) (string, error) {
	// Only this key's values are copied, not the call's whole metadata.
	values := metadata.ValueFromIncomingContext(ctx, authorizationKey)
	switch len(values) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		// Two credentials are ambiguous; picking one could authenticate the
		// request as someone the client did not intend.
		return "", newTokenError(ErrMalformed, "more than one authorization value", nil)
	}
	fields := strings.Fields(values[0])
	switch {
	case len(fields) == 0:
		return "", ErrNoToken
	case !strings.EqualFold(fields[0], "Bearer"):
		return "", newTokenError(ErrMalformed, "authorization is not a bearer credential", nil)
	case len(fields) == 1:
		// "Bearer" with nothing after it: usually an unset token variable.
		return "", ErrNoToken
	case len(fields) > 2:
		return "", newTokenError(ErrMalformed, "bearer credential contains whitespace", nil)
	}
	return fields[1], nil
}
