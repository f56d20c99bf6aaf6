package keys

import (
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/vault"
)

// BenchmarkCaseKeyCached is the hot read: a cache hit, no database round
// trip and no X25519 operation.
func BenchmarkCaseKeyCached(b *testing.B) {
	e := newEnv(b, "shelter-a")
	id, _ := e.newKeyedCase("shelter-a")
	m := e.newManager(e.keyring, vault.NewKeyCache(1000, time.Hour))
	for b.Loop() {
		k, err := m.CaseKey(e.ctx, e.pool, id)
		if err != nil {
			b.Fatal(err)
		}
		k.Wipe()
	}
	if n := m.unwraps.Load(); n != 1 {
		b.Errorf("%d unwraps, want 1", n)
	}
}

// BenchmarkCaseKeyUncached is a cold read: one query for the wrapped keys
// and one X25519 unwrap.
func BenchmarkCaseKeyUncached(b *testing.B) {
	e := newEnv(b, "shelter-a")
	id, _ := e.newKeyedCase("shelter-a")
	m := e.newManager(e.keyring, nil)
	for b.Loop() {
		k, err := m.CaseKey(e.ctx, e.pool, id)
		if err != nil {
			b.Fatal(err)
		}
		k.Wipe()
	}
}

// BenchmarkCreateCaseKey is the key work of opening a case: a new key
// wrapped to one organisation and stored, in a transaction with the case.
func BenchmarkCreateCaseKey(b *testing.B) {
	e := newEnv(b, "shelter-a")
	for b.Loop() {
		if _, err := createProbeCase(e.ctx, e.m, e.pool, "shelter-a"); err != nil {
			b.Fatal(err)
		}
	}
}
