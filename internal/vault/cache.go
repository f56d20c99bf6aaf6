package vault

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// KeyCache keeps recently unwrapped case keys in memory so that hot reads
// perform no X25519 operation. It is bounded (least recently used keys are
// evicted beyond capacity) and every entry expires ttl after it was Put,
// however often it is read, which bounds how long a key lingers in memory.
// Keys leaving the cache are wiped. A KeyCache is safe for concurrent use.
type KeyCache struct {
	capacity int
	ttl      time.Duration
	now      func() time.Time // replaced in tests

	hits, misses atomic.Uint64

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     *list.List // of *cacheEntry; front = most recently used
	byAge   *list.List // of *cacheEntry; front = earliest expiry
}

// cacheEntry is the cache's own copy of a key; it is never handed out.
type cacheEntry struct {
	caseID  string
	key     CaseKey
	expires time.Time
	lruElem *list.Element
	ageElem *list.Element
}

// NewKeyCache returns a cache of at most capacity keys, each kept for at
// most ttl. A capacity or ttl that is not positive disables caching: Put
// stores nothing and Get always misses.
func NewKeyCache(capacity int, ttl time.Duration) *KeyCache {
	return &KeyCache{
		capacity: capacity,
		ttl:      ttl,
		now:      time.Now,
		entries:  make(map[string]*cacheEntry),
		lru:      list.New(),
		byAge:    list.New(),
	}
}

// Get returns a copy of the cached key for caseID. The copy belongs to the
// caller (who should Wipe it when done), so the key stays intact even if the
// cache evicts and wipes its own copy meanwhile.
func (c *KeyCache) Get(caseID string) (*CaseKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireLocked()
	e, ok := c.entries[caseID]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.lru.MoveToFront(e.lruElem)
	return e.key.clone(), true
}

// Stats are the lookups that found a key and those that did not, since the
// cache was made (what the key-cache hit ratio is computed from).
func (c *KeyCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Put caches a copy of key for caseID, replacing any previous key and
// restarting its ttl. The caller keeps ownership of key and may Wipe it.
// Nil or wiped keys are ignored.
func (c *KeyCache) Put(caseID string, key *CaseKey) {
	if c.capacity <= 0 || c.ttl <= 0 || key.usable() != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.expireLocked()
	if e, ok := c.entries[caseID]; ok {
		e.key.b, e.key.wrap = key.b, key.wrap // overwrites the old bytes in place
		e.expires = now.Add(c.ttl)
		c.lru.MoveToFront(e.lruElem)
		c.byAge.MoveToBack(e.ageElem)
		return
	}
	e := &cacheEntry{caseID: caseID, key: CaseKey{b: key.b, wrap: key.wrap}, expires: now.Add(c.ttl)}
	e.lruElem = c.lru.PushFront(e)
	e.ageElem = c.byAge.PushBack(e)
	c.entries[caseID] = e
	for c.lru.Len() > c.capacity {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

// Forget drops and wipes the key for caseID. Call it when a case is erased
// or re-keyed so the old key cannot be served again.
func (c *KeyCache) Forget(caseID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[caseID]; ok {
		c.removeLocked(e)
	}
}

// Purge drops and wipes every key, e.g. after an organisation key rotation
// or when the process is told to shut down.
func (c *KeyCache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		e.key.Wipe()
	}
	clear(c.entries)
	c.lru.Init()
	c.byAge.Init()
}

// Len reports how many unexpired keys are cached, for metrics and tests.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireLocked()
	return len(c.entries)
}

// expireLocked removes expired entries. All entries share one ttl, so the
// byAge list is in expiry order and only its front needs checking.
func (c *KeyCache) expireLocked() {
	now := c.now()
	for el := c.byAge.Front(); el != nil; el = c.byAge.Front() {
		e := el.Value.(*cacheEntry)
		if now.Before(e.expires) {
			return
		}
		c.removeLocked(e)
	}
}

// removeLocked unlinks e everywhere and wipes its key.
func (c *KeyCache) removeLocked(e *cacheEntry) {
	c.lru.Remove(e.lruElem)
	c.byAge.Remove(e.ageElem)
	delete(c.entries, e.caseID)
	e.key.Wipe()
}
