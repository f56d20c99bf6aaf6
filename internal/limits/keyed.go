package limits

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
)

// Token buckets are kept for this many callers and organisations, and
// forgotten after this long unused: a forgotten bucket is refilled anyway
// by then.
const (
	bucketCacheSize = 100_000
	bucketCacheTTL  = 10 * time.Minute
)

// buckets are token buckets keyed by caller or organisation.
type buckets struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	cache *expirable.LRU[string, *rate.Limiter]
}

func newBuckets(perSecond float64, burst int) *buckets {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(perSecond))
	}
	return &buckets{rate: rate.Limit(perSecond), burst: burst,
		cache: expirable.NewLRU[string, *rate.Limiter](bucketCacheSize, nil, bucketCacheTTL)}
}

// get returns key's bucket, creating a full one.
func (b *buckets) get(key string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.cache.Get(key)
	if !ok {
		l = rate.NewLimiter(b.rate, b.burst)
		b.cache.Add(key, l)
	}
	return l
}

// take spends one token of key's bucket now, or says how long until one is
// free (and spends nothing).
func (b *buckets) take(key string, now time.Time) (ok bool, retry time.Duration) {
	if b == nil {
		return true, 0
	}
	r := b.get(key).ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// counters count the calls each key has running, up to a bound.
type counters struct {
	mu    sync.Mutex
	bound int
	n     map[string]int
}

func newCounters(bound int) *counters {
	if bound <= 0 {
		return nil
	}
	return &counters{bound: bound, n: map[string]int{}}
}

// acquire counts one more call of key, unless key is at its bound.
func (c *counters) acquire(key string) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= c.bound {
		return false
	}
	c.n[key]++
	return true
}

func (c *counters) release(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}
