package keys

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/vault"
)

// coherence keeps the key cache consistent with committed data.
//
// The danger it addresses: a case key changes (ReplaceCaseKey) or disappears
// (ShredCaseKeys) inside a transaction this package does not commit. If the
// cache kept serving the old key after the commit, a service would seal new
// data under a key no longer stored anywhere — silent data loss — or keep
// serving an erased case. If it cached the new key before the commit and the
// transaction rolled back, the same would happen the other way round. Other
// replicas have caches of their own too.
//
// So the cache only ever holds keys read from committed state, under three
// rules:
//
//   - A transaction changing a case's key notifies (pg_notify, delivered only
//     on commit) every Manager, which forgets the entry and bumps a
//     generation. A read that started before the notification does not cache
//     what it read (its generation is stale).
//   - Until that notification arrives, the changing Manager holds the case:
//     it is not cached, so reads inside the uncommitted transaction see the
//     new key without publishing it, and a rollback leaves nothing behind.
//     A hold expires after settle, in case no notification ever comes.
//   - While the notification connection is down nothing is cached, and the
//     cache is purged when it comes back, since invalidations may have been
//     missed meanwhile. A connection can also fail silently (half-open: no
//     error ever arrives, and neither do notifications), so the listener
//     proves it alive with a ping whenever it has been quiet for a while,
//     and the cache is neither read nor filled once the last proof is older
//     than the trust window: a stale key is served for at most that long,
//     and the failed ping then reconnects and purges.
type coherence struct {
	mu        sync.Mutex
	gen       uint64
	listening bool
	held      map[string]hold // by case id
	settle    time.Duration
	now       func() time.Time

	// alive is when (nanoseconds since base, on the monotonic clock) the
	// listener last proved that every notification committed before then
	// has reached it; 0 while it is not listening.
	base  time.Time
	alive atomic.Int64
}

// hold keeps one case out of the cache. The token ties it to the
// notification of the transaction that created it, so the commit of an
// earlier change to the same case does not release a later, still
// uncommitted one.
type hold struct {
	token string
	until time.Time
}

func (c *coherence) init(settle time.Duration) {
	c.held = make(map[string]hold)
	c.settle = settle
	c.now = time.Now
	c.base = time.Now()
}

// proveAlive records that the listener has just seen every notification
// committed so far (one arrived, or a ping was answered).
func (m *Manager) proveAlive() {
	m.coh.alive.Store(int64(time.Since(m.coh.base)) + 1)
}

// cacheVouched reports whether the listener proved itself alive within the
// trust window, i.e. whether cached keys can be relied on now.
func (m *Manager) cacheVouched() bool {
	t := m.coh.alive.Load()
	return t != 0 && time.Duration(int64(time.Since(m.coh.base))+1-t) < m.trust
}

// cacheGeneration is taken before reading wrapped keys from the database and
// passed to cachePut afterwards.
func (m *Manager) cacheGeneration() uint64 {
	m.coh.mu.Lock()
	defer m.coh.mu.Unlock()
	return m.coh.gen
}

// cachePut caches key for caseID unless an invalidation happened since gen
// was taken, the case is held, or invalidations cannot currently be received.
func (m *Manager) cachePut(caseID string, key *vault.CaseKey, gen uint64) {
	c := &m.coh
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || gen != c.gen || !m.cacheVouched() {
		return
	}
	if h, ok := c.held[caseID]; ok {
		if c.now().Before(h.until) {
			return
		}
		delete(c.held, caseID)
	}
	m.cache.Put(caseID, key)
}

// cacheHold forgets caseID and keeps it out of the cache until the
// notification carrying the returned token arrives (or settle passes). Call
// it before changing the case's wrapped keys, and send the token with
// notifyCaseKey in the same transaction.
func (m *Manager) cacheHold(caseID string) string {
	token := rand.Text()
	c := &m.coh
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.held) >= 1024 {
		for id, h := range c.held {
			if !now.Before(h.until) {
				delete(c.held, id)
			}
		}
	}
	c.held[caseID] = hold{token: token, until: now.Add(c.settle)}
	m.cache.Forget(caseID)
	return token
}

// notifyCaseKey tells every Manager, on commit, that caseID's key changed.
func notifyCaseKey(ctx context.Context, q db.Querier, caseID, token string) error {
	return notify(ctx, q, caseKeysChannel, caseID+" "+token)
}

// cacheInvalidate handles the notification of a committed change of a case
// key; payload is "<case id> <hold token>".
func (m *Manager) cacheInvalidate(payload string) {
	caseID, token, _ := strings.Cut(payload, " ")
	c := &m.coh
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if h, ok := c.held[caseID]; ok && h.token == token {
		delete(c.held, caseID)
	}
	m.cache.Forget(caseID)
}

// setListening records whether invalidations can be received; either way
// the cache is purged, because some may have been missed.
func (m *Manager) setListening(on bool) {
	c := &m.coh
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.listening = on
	if on {
		m.proveAlive()
	} else {
		c.alive.Store(0)
	}
	m.cache.Purge()
}
