package authn

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// CachingVerifier remembers tokens it has verified, keyed by their SHA-256,
// until they expire (or for at most maxAge): checking a signature costs far
// more than the rest of a read, and a client sends the same token on every
// call. The token itself is never kept, only its hash.
type CachingVerifier struct {
	v       *Verifier
	maxAge  time.Duration
	maxSize int
	now     func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]cached
}

type cached struct {
	caller Caller
	until  time.Time
}

// NewCachingVerifier wraps v with a cache of at most maxSize tokens, each
// trusted for at most maxAge and never past its own expiry.
func NewCachingVerifier(v *Verifier, maxSize int, maxAge time.Duration) *CachingVerifier {
	return &CachingVerifier{v: v, maxAge: maxAge, maxSize: maxSize, now: time.Now, entries: map[[32]byte]cached{}}
}

// Verify returns the caller of raw from the cache or by verifying it.
func (c *CachingVerifier) Verify(ctx context.Context, raw string) (Caller, error) {
	key := sha256Sum(raw)
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.caller, nil
	}
	caller, err := c.v.Verify(ctx, raw)
	if err != nil {
		return Caller{}, err
	}
	until := now.Add(c.maxAge)
	if !caller.Expiry.IsZero() && caller.Expiry.Before(until) {
		until = caller.Expiry
	}
	c.mu.Lock()
	if len(c.entries) >= c.maxSize {
		c.evictExpired(now)
	}
	if len(c.entries) < c.maxSize {
		c.entries[key] = cached{caller: caller, until: until}
	}
	c.mu.Unlock()
	return caller, nil
}

// evictExpired drops stale entries, and everything if none was stale: a
// full cache of live tokens is rare and refilling it is cheap.
func (c *CachingVerifier) evictExpired(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= c.maxSize {
		clear(c.entries)
	}
}

func sha256Sum(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }
