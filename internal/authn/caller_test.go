package authn

import (
	"context"
	"testing"
)

func TestCallerContext(t *testing.T) {
	if _, ok := CallerFrom(context.Background()); ok {
		t.Fatal("CallerFrom(empty context) reported a caller")
	}
	ctx := WithCaller(context.Background(), Caller{Subject: "user-1"})
	got, ok := CallerFrom(ctx)
	if !ok || got.Subject != "user-1" {
		t.Fatalf("CallerFrom() = %+v, %v; want user-1, true", got, ok)
	}
	// A plain string key with the same spelling must not collide.
	ctx = context.WithValue(context.Background(), "callerKey", Caller{Subject: "x"}) //nolint:staticcheck // deliberate collision attempt
	if _, ok := CallerFrom(ctx); ok {
		t.Fatal("CallerFrom() read a caller stored under a foreign key")
	}
}
