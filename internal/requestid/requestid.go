// Package requestid carries the id of the current call, so that logs and
// audit events of one request can be tied together.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc/metadata"
)

// MetadataKey is the gRPC metadata key a client may set to choose the id.
const MetadataKey = "x-request-id"

type key struct{}

// valid reports whether id is well formed: 1 to 64 of A-Z, a-z, 0-9 and
// ".", "_", ":", "-". It is checked by hand rather than by a regular
// expression because every call pays for it.
func valid(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// FromIncoming returns the client's request id when it is well formed, or a
// new random one: an id is never trusted to be safe to log otherwise.
func FromIncoming(ctx context.Context) string {
	// Only this key's values are copied, not the call's whole metadata.
	if ids := metadata.ValueFromIncomingContext(ctx, MetadataKey); len(ids) > 0 && valid(ids[0]) {
		return ids[0]
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// With stores id in ctx.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the id stored in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}
