package authn

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestTokenFromMetadata(t *testing.T) {
	tests := []struct {
		name    string
		ctx     context.Context
		want    string
		wantErr error
	}{
		{name: "no metadata", ctx: context.Background(), wantErr: ErrNoToken},
		{name: "no authorization", ctx: incoming("x-other", "v"), wantErr: ErrNoToken},
		{name: "empty authorization", ctx: incoming("authorization", ""), wantErr: ErrNoToken},
		{name: "bearer without token", ctx: incoming("authorization", "Bearer "), wantErr: ErrNoToken},
		{name: "bearer with blank token", ctx: incoming("authorization", "Bearer    "), wantErr: ErrNoToken},
		{name: "bearer", ctx: incoming("authorization", "Bearer abc.def.ghi"), want: "abc.def.ghi"},
		{name: "lowercase scheme", ctx: incoming("authorization", "bearer abc.def.ghi"), want: "abc.def.ghi"},
		{name: "uppercase scheme", ctx: incoming("authorization", "BEARER abc.def.ghi"), want: "abc.def.ghi"},
		{name: "mixed-case key", ctx: incoming("Authorization", "Bearer abc.def.ghi"), want: "abc.def.ghi"},
		{name: "extra spaces", ctx: incoming("authorization", "  Bearer   abc.def.ghi  "), want: "abc.def.ghi"},
		{name: "basic scheme", ctx: incoming("authorization", "Basic dXNlcjpwYXNz"), wantErr: ErrMalformed},
		{name: "token without scheme", ctx: incoming("authorization", "abc.def.ghi"), wantErr: ErrMalformed},
		{name: "two tokens in one value", ctx: incoming("authorization", "Bearer a.b.c d.e.f"), wantErr: ErrMalformed},
		{name: "two authorization values", ctx: incoming("authorization", "Bearer a.b.c", "authorization", "Bearer d.e.f"), wantErr: ErrMalformed},
		{name: "outgoing metadata is ignored", ctx: metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer a.b.c")), wantErr: ErrNoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TokenFromMetadata(tc.ctx)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("TokenFromMetadata() error = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("TokenFromMetadata() = %q, want %q", got, tc.want)
			}
			if err != nil {
				for _, tok := range []string{"abc.def.ghi", "dXNlcjpwYXNz", "a.b.c"} {
					assertNoTokenLeak(t, err, tok)
				}
			}
		})
	}
}

func incoming(kv ...string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs(kv...))
}
