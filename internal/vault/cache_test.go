package vault

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// fakeClock is a manually advanced clock for TTL tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestCache(capacity int, ttl time.Duration) (*KeyCache, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewKeyCache(capacity, ttl)
	c.now = clock.now
	return c, clock
}

// cachedCopy returns the cache's own entry for caseID (nil if absent), so
// tests can observe that it gets wiped.
func cachedCopy(c *KeyCache, caseID string) *CaseKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[caseID]; ok {
		return &e.key
	}
	return nil
}

func TestKeyCacheGetPut(t *testing.T) {
	c, _ := newTestCache(4, time.Minute)
	if _, ok := c.Get("case-1"); ok {
		t.Fatal("Get on empty cache hit")
	}
	k := newTestCaseKey(t)
	c.Put("case-1", k)
	got, ok := c.Get("case-1")
	if !ok || got.b != k.b {
		t.Fatal("Get after Put missed or returned a different key")
	}
	if got == k {
		t.Error("Get returned the caller's pointer, want a copy")
	}

	// The caller keeps ownership of what it Put...
	want := k.b
	k.Wipe()
	if again, ok := c.Get("case-1"); !ok || again.b != want {
		t.Error("wiping the key passed to Put damaged the cached copy")
	}
	// ...and of what it got.
	got.Wipe()
	if again, ok := c.Get("case-1"); !ok || again.b != want {
		t.Error("wiping a key returned by Get damaged the cached copy")
	}

	// Replacing a key overwrites it.
	k2 := newTestCaseKey(t)
	c.Put("case-1", k2)
	if again, _ := c.Get("case-1"); again.b != k2.b {
		t.Error("Put did not replace the key")
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}
}

func TestKeyCacheLRUEviction(t *testing.T) {
	c, _ := newTestCache(2, time.Hour)
	a, b, d := newTestCaseKey(t), newTestCaseKey(t), newTestCaseKey(t)
	c.Put("a", a)
	c.Put("b", b)
	if _, ok := c.Get("a"); !ok { // a becomes most recently used
		t.Fatal("a missing")
	}
	heldB, _ := c.Get("b") // a caller is using b's key...
	c.Get("a")             // ...but a is used again, so b is least recent
	bEntry := cachedCopy(c, "b")
	c.Put("d", d)

	if _, ok := c.Get("b"); ok {
		t.Error("least recently used key b was not evicted")
	}
	for _, id := range []string{"a", "d"} {
		if _, ok := c.Get(id); !ok {
			t.Errorf("%s evicted, want kept", id)
		}
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want capacity 2", c.Len())
	}
	if bEntry.b != [32]byte{} {
		t.Error("evicted key was not wiped")
	}
	if heldB.b != b.b {
		t.Error("caller's copy of b was zeroed by eviction")
	}
	// The held copy still opens b's data.
	ct, err := seal(b, "b", dataclass.Care, []byte("note"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(heldB, "b", dataclass.Care, ct); err != nil {
		t.Errorf("held copy unusable after eviction: %v", err)
	}
}

func TestKeyCacheTTLExpiry(t *testing.T) {
	c, clock := newTestCache(10, time.Minute)
	c.Put("old", newTestCaseKey(t))
	oldEntry := cachedCopy(c, "old")
	clock.advance(40 * time.Second)
	c.Put("new", newTestCaseKey(t))

	clock.advance(19 * time.Second) // old is 59s old
	if _, ok := c.Get("old"); !ok {
		t.Fatal("entry expired before its ttl")
	}
	clock.advance(1 * time.Second) // old is 60s old; reads do not extend it
	if _, ok := c.Get("old"); ok {
		t.Error("entry served at its ttl")
	}
	if oldEntry.b != [32]byte{} {
		t.Error("expired key was not wiped")
	}
	if _, ok := c.Get("new"); !ok {
		t.Error("younger entry expired too early")
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}

	// Re-putting restarts the ttl.
	c.Put("new", newTestCaseKey(t))
	clock.advance(59 * time.Second)
	if _, ok := c.Get("new"); !ok {
		t.Error("re-put entry expired on its old schedule")
	}
	clock.advance(time.Second)
	if c.Len() != 0 {
		t.Errorf("Len after all expired = %d, want 0", c.Len())
	}
}

func TestKeyCacheForgetAndPurgeWipe(t *testing.T) {
	c, _ := newTestCache(10, time.Hour)
	for i := range 3 {
		c.Put(fmt.Sprint("case-", i), newTestCaseKey(t))
	}
	held, _ := c.Get("case-0")
	entry0 := cachedCopy(c, "case-0")
	c.Forget("case-0")
	c.Forget("never-cached") // no-op
	if _, ok := c.Get("case-0"); ok {
		t.Error("forgotten key still served")
	}
	if entry0.b != [32]byte{} {
		t.Error("Forget did not wipe the cached key")
	}
	if held.usable() != nil {
		t.Error("Forget zeroed a caller's copy")
	}

	entries := []*CaseKey{cachedCopy(c, "case-1"), cachedCopy(c, "case-2")}
	c.Purge()
	if c.Len() != 0 {
		t.Errorf("Len after Purge = %d", c.Len())
	}
	for i, e := range entries {
		if e.b != [32]byte{} {
			t.Errorf("Purge did not wipe entry %d", i)
		}
	}
	c.Put("case-9", newTestCaseKey(t)) // still usable after Purge
	if _, ok := c.Get("case-9"); !ok {
		t.Error("cache unusable after Purge")
	}
}

func TestKeyCacheDisabledOrInvalidInput(t *testing.T) {
	k := newTestCaseKey(t)
	wiped := newTestCaseKey(t)
	wiped.Wipe()
	for _, tc := range []struct {
		capacity int
		ttl      time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {10, 0}, {10, -time.Second}} {
		c := NewKeyCache(tc.capacity, tc.ttl)
		c.Put("case-1", k)
		if _, ok := c.Get("case-1"); ok || c.Len() != 0 {
			t.Errorf("NewKeyCache(%d, %v) cached a key, want disabled", tc.capacity, tc.ttl)
		}
	}
	c := NewKeyCache(10, time.Minute)
	c.Put("nil", nil)
	c.Put("wiped", wiped)
	if c.Len() != 0 {
		t.Error("nil or wiped key was cached")
	}
}

func TestKeyCacheConcurrentUse(t *testing.T) {
	c := NewKeyCache(8, time.Minute)
	keys := make([]*CaseKey, 16)
	for i := range keys {
		keys[i] = newTestCaseKey(t)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := (g + i) % len(keys)
				caseID := fmt.Sprint("case-", id)
				switch i % 5 {
				case 0:
					c.Put(caseID, keys[id])
				case 1:
					c.Forget(caseID)
				case 2:
					c.Len()
				default:
					if got, ok := c.Get(caseID); ok && got.b != keys[id].b {
						t.Errorf("Get(%s) returned another case's key", caseID)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 8 {
		t.Errorf("Len = %d exceeds capacity", n)
	}
}
