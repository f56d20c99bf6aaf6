package authz

import (
	"hash/maphash"
	"sync"
)

// decisionKey is one Casbin request: a role (or the referral ceiling),
// an organisation, an object and an action.
type decisionKey struct {
	sub, dom, obj, act string
}

const decisionShards = 32

// decisionCache remembers Casbin's answers. Casbin evaluates its matcher
// against every rule on each Enforce (several microseconds), while the same
// few hundred questions are asked on every request; the answers only change
// when the policy does, and a new policy comes with a new, empty cache.
//
// It is sharded to keep readers on different cores apart, and bounded: a
// shard that fills up is emptied, which costs a few recomputations and
// keeps the memory of a server with many organisations flat.
type decisionCache struct {
	seed     maphash.Seed
	perShard int
	shards   [decisionShards]decisionShard
}

type decisionShard struct {
	mu sync.RWMutex
	m  map[decisionKey]bool
	_  [40]byte // keep shards on separate cache lines
}

func newDecisionCache(size int) *decisionCache {
	per := size / decisionShards
	if per < 16 {
		per = 16
	}
	c := &decisionCache{seed: maphash.MakeSeed(), perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[decisionKey]bool)
	}
	return c
}

func (c *decisionCache) shard(k decisionKey) *decisionShard {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(k.sub)
	h.WriteString(k.dom)
	h.WriteString(k.obj)
	h.WriteString(k.act)
	return &c.shards[h.Sum64()%decisionShards]
}

func (c *decisionCache) get(k decisionKey) (allowed, ok bool) {
	s := c.shard(k)
	s.mu.RLock()
	allowed, ok = s.m[k]
	s.mu.RUnlock()
	return allowed, ok
}

func (c *decisionCache) put(k decisionKey, allowed bool) {
	s := c.shard(k)
	s.mu.Lock()
	if len(s.m) >= c.perShard {
		clear(s.m)
	}
	s.m[k] = allowed
	s.mu.Unlock()
}

func (c *decisionCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
