// Package requestid carries the id of the current call, so that logs and
// audit events of one request can be tied together.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"

	"google.golang.org/grpc/metadata"
)

// MetadataKey is the gRPC metadata key a client may set to choose the id.
const MetadataKey = "x-request-id"

type key struct{}

var valid = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// FromIncoming returns the client's request id when it is well formed, or a
// new random one: an id is never trusted to be safe to log otherwise.
func FromIncoming(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if ids := md.Get(MetadataKey); len(ids) > 0 && valid.MatchString(ids[0]) {
			return ids[0]
		}
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
