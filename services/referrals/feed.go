package referrals

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// feedKeep is how many recent events a feed keeps in memory for its
// watchers; a watcher further behind reads the outbox itself until it
// catches up.
const feedKeep = 256

// fetchTimeout bounds one read of the outbox by a feed.
const fetchTimeout = 10 * time.Second

// feed is the shared reading of one set of organisations' events. Every
// watcher of the same organisations (all the members of an organisation,
// usually) reads from one feed, and the feed reads the outbox once per
// wake-up, however many watchers it has: 5,000 open streams and ten events
// cost ten queries, not 50,000.
//
// The feed keeps the events it read, newest last, together with base: every
// event of its organisations with seq above base, up to the newest kept, is
// in events. base is always a position that had committed when it was set,
// and writers commit in seq order (see internal/sharing), so a watcher at or
// past base that takes the kept events after its position misses nothing.
type feed struct {
	hub  *hub
	key  string
	orgs []string
	refs int // watchers subscribed, guarded by hub.mu

	kick chan struct{} // a wake-up for these organisations, coalesced
	done chan struct{} // closed when the last watcher leaves

	mu      sync.Mutex
	started bool
	base    int64
	last    int64 // the newest position read (seq of the newest event, or base)
	events  []watchEvent
	changed chan struct{} // closed and replaced whenever events are appended
}

// feedKey names a set of organisations whatever their order.
func feedKey(orgs []string) (string, []string) {
	orgs = slices.Clone(orgs)
	sort.Strings(orgs)
	orgs = slices.Compact(orgs)
	key := ""
	for _, o := range orgs {
		key += o + "\x00"
	}
	return key, orgs
}

func newFeed(h *hub, key string, orgs []string) *feed {
	return &feed{hub: h, key: key, orgs: orgs, kick: make(chan struct{}, 1), done: make(chan struct{}), changed: make(chan struct{})}
}

// begin fixes where the feed starts reading, once: at the position of its
// first watcher, which has just read it from the outbox.
func (f *feed) begin(after int64) {
	f.mu.Lock()
	if !f.started {
		f.started, f.base, f.last = true, after, after
	}
	f.mu.Unlock()
	f.wake()
}

// wake asks the feed to read the outbox; wake-ups coalesce.
func (f *feed) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// since returns the kept events after position after, and a channel closed
// when more arrive. ok is false when the feed does not reach back that far
// (the watcher reads the outbox itself then, from after up to at least base).
func (f *feed) since(after int64) (events []watchEvent, base int64, changed <-chan struct{}, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started || after < f.base {
		return nil, f.base, f.changed, false
	}
	i := sort.Search(len(f.events), func(i int) bool { return f.events[i].seq > after })
	// The full slice expression keeps the caller's view from growing into
	// what the feed appends later.
	return f.events[i:len(f.events):len(f.events)], f.base, f.changed, true
}

// run reads the outbox whenever the feed is woken, and on a poll as a
// safety net (short while the hub cannot hear notifications), until the
// last watcher leaves or the server stops.
func (f *feed) run() {
	for {
		poll := pollWhileListening
		if !f.hub.up.Load() {
			poll = pollWhileDeaf
		}
		t := time.NewTimer(poll)
		select {
		case <-f.done:
			t.Stop()
			return
		case <-f.hub.ctx.Done():
			t.Stop()
			return
		case <-f.kick:
		case <-t.C:
		}
		t.Stop()
		f.fetch()
	}
}

// fetch reads every event committed after the feed's last position, a
// batch at a time, and wakes the watchers. A failure is retried at the
// next wake-up or poll; watchers only wait meanwhile, they lose nothing.
func (f *feed) fetch() {
	for {
		f.mu.Lock()
		started, last := f.started, f.last
		f.mu.Unlock()
		if !started {
			return
		}
		ctx, cancel := context.WithTimeout(f.hub.ctx, fetchTimeout)
		events, err := loadEvents(ctx, f.hub.pool, f.orgs, last)
		cancel()
		if err != nil {
			if f.hub.ctx.Err() == nil {
				f.hub.log.Warn("read referral events for watchers; retrying", "error", err)
			}
			return
		}
		if len(events) > 0 {
			f.append(events)
		}
		if len(events) < watchBatch {
			return
		}
	}
}

// append keeps events (newer than everything kept), drops the oldest beyond
// feedKeep, and wakes the watchers.
func (f *feed) append(events []watchEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, events...)
	f.last = events[len(events)-1].seq
	if n := len(f.events) - feedKeep; n > 0 {
		f.base = f.events[n-1].seq
		// A copy, so that the array does not grow for ever; watchers still
		// holding the old one keep reading it safely.
		f.events = slices.Clone(f.events[n:])
	}
	close(f.changed)
	f.changed = make(chan struct{})
}
