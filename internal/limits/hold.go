package limits

import (
	"context"
	"sync/atomic"
	"time"
)

// Hold says how refusals are paced. A call refused by a rate or a
// concurrency bound is answered only after the time it was told to wait (at
// most Max): a client that retries at once — a careless script, a flood —
// then makes a few calls a second instead of thousands, and answering its
// refusals stops taking the CPU that other callers need. A held refusal
// keeps a goroutine and one of its connection's streams, so holding is
// bounded per caller and per replica; past either bound a refusal is
// answered at once, as without holding.
type Hold struct {
	// Max is the longest a refusal is held (0: refusals are answered at
	// once).
	Max time.Duration
	// PerCaller and PerReplica bound the refusals held at once.
	PerCaller  int
	PerReplica int
}

// holder holds refusals within the bounds of a Hold.
type holder struct {
	cfg     Hold
	callers *counters
	held    atomic.Int64
}

func newHolder(cfg Hold) *holder {
	if cfg.Max <= 0 {
		return nil
	}
	return &holder{cfg: cfg, callers: newCounters(cfg.PerCaller)}
}

// hold waits up to retry (at most Max) before caller's refusal is sent, and
// returns how long it waited: nothing when a bound is reached or the call's
// context ends first.
func (h *holder) hold(ctx context.Context, caller string, retry time.Duration) time.Duration {
	if h == nil || retry <= 0 {
		return 0
	}
	// The caller's own bound first, so that one caller's flood past it
	// never counts against the replica's.
	if !h.callers.acquire(caller) {
		return 0
	}
	defer h.callers.release(caller)
	if h.cfg.PerReplica > 0 && h.held.Add(1) > int64(h.cfg.PerReplica) {
		h.held.Add(-1)
		return 0
	}
	defer h.held.Add(-1)
	d := min(retry, h.cfg.Max)
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return time.Since(start)
}

// heldNow reports the refusals held at this moment (for tests and metrics).
func (h *holder) heldNow() int64 {
	if h == nil {
		return 0
	}
	return h.held.Load()
}
