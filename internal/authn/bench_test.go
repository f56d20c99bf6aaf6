package authn

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerify measures the per-request cost of checking a dev (EdDSA)
// token, which every authenticated RPC pays.
func BenchmarkVerify(b *testing.B) {
	d, err := LoadOrCreateDevIssuer(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewDevVerifier(d)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := d.Mint("user-1", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}
