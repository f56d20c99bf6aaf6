package revocation

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// StreamCheckInterval is how often, while the listener cannot be trusted
// (down, or silent for TrustWindow), the tokens of open streams are checked
// against the table: a stream must not outlive its token's revocation just
// because the notification of it was lost.
const StreamCheckInterval = TrustWindow

// openStream is one open stream of a token; end ends it.
type openStream struct {
	expiry time.Time
	end    func()
}

// streams are the open streams by token id, and the ids whose row is to be
// looked at by the checking goroutine.
type streams struct {
	mu      sync.Mutex
	open    map[string]map[*openStream]struct{}
	pending map[string]struct{}
	all     bool          // check every open stream's token
	wake    chan struct{} // made by New, so that poke needs no lock
	start   sync.Once     // starts checkLoop at the first Watch
	stop    context.CancelFunc
	done    chan struct{}
}

// Watch registers an open stream of the token named id, which expires at
// expiry: end is called (once, from another goroutine) as soon as this
// replica learns that the token is revoked — by its own Revoke, a
// notification confirmed by the table, or a check of the table while the
// listener cannot be trusted or after it came back up. Call the returned
// function when the stream ends. A caller that authenticated the stream
// before calling Watch checks Revoked once more after it, so that a
// revocation announced in between is not missed.
func (r *Revocations) Watch(id string, expiry time.Time, end func()) (unwatch func()) {
	s := &r.streams
	s.start.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		s.mu.Lock()
		s.stop, s.done = cancel, done
		s.mu.Unlock()
		go r.checkLoop(ctx, done)
	})
	o := &openStream{expiry: expiry, end: end}
	s.mu.Lock()
	if s.open == nil {
		s.open = map[string]map[*openStream]struct{}{}
	}
	if s.open[id] == nil {
		s.open[id] = map[*openStream]struct{}{}
	}
	s.open[id][o] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.open[id], o)
		if len(s.open[id]) == 0 {
			delete(s.open, id)
		}
	}
}

// OpenStreams reports how many streams are watched, for tests and gauges.
func (r *Revocations) OpenStreams() int {
	s := &r.streams
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, set := range s.open {
		n += len(set)
	}
	return n
}

// checkSoon asks the checking goroutine to look up id's row, if a stream of
// it is open. It never waits: it is called on the listener's goroutine.
func (r *Revocations) checkSoon(id string) {
	s := &r.streams
	s.mu.Lock()
	if _, ok := s.open[id]; !ok {
		s.mu.Unlock()
		return
	}
	if s.pending == nil {
		s.pending = map[string]struct{}{}
	}
	s.pending[id] = struct{}{}
	s.mu.Unlock()
	s.poke()
}

// checkAllSoon asks the checking goroutine to look up the row of every open
// stream's token: after the listener came back up, notifications may have
// been missed.
func (r *Revocations) checkAllSoon() {
	s := &r.streams
	s.mu.Lock()
	s.all = len(s.open) > 0
	s.mu.Unlock()
	s.poke()
}

func (s *streams) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// endStreams ends every open stream of id.
func (r *Revocations) endStreams(id string) {
	s := &r.streams
	s.mu.Lock()
	set := s.open[id]
	delete(s.open, id)
	s.mu.Unlock()
	for o := range set {
		o.end()
	}
}

// checkLoop looks up the rows of the tokens it is asked about, and of every
// open stream's token while the listener cannot be trusted, and ends the
// streams of those revoked. A failed lookup is retried at the next tick.
func (r *Revocations) checkLoop(ctx context.Context, done chan struct{}) {
	s := &r.streams
	defer close(done)
	t := time.NewTicker(StreamCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
			if !r.trusted() {
				s.mu.Lock()
				s.all = len(s.open) > 0
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		var ids []string
		if s.all {
			for id := range s.open {
				ids = append(ids, id)
			}
		} else {
			for id := range s.pending {
				if _, ok := s.open[id]; ok {
					ids = append(ids, id)
				}
			}
		}
		all := s.all
		s.all, s.pending = false, nil
		s.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		if err := r.checkStreams(ctx, ids); err != nil {
			s.mu.Lock()
			if all {
				s.all = true
			} else {
				if s.pending == nil {
					s.pending = map[string]struct{}{}
				}
				for _, id := range ids {
					s.pending[id] = struct{}{}
				}
			}
			s.mu.Unlock()
		}
	}
}

// checkStreams ends the streams of those of ids that have a revocation row,
// and caches the revocation.
func (r *Revocations) checkStreams(ctx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	revoked, err := revokedRows(ctx, r.pool, ids)
	if err != nil {
		return fmt.Errorf("revocation: check open streams: %w", err)
	}
	for _, id := range revoked {
		s := &r.streams
		s.mu.Lock()
		var until time.Time
		for o := range s.open[id] {
			until = o.expiry
		}
		s.mu.Unlock()
		if !until.IsZero() {
			r.mu.Lock()
			r.gen++
			r.entries[id] = entry{revoked: true, until: until.Add(KeepPastExpiry)}
			r.mu.Unlock()
		}
		r.endStreams(id)
	}
	return nil
}

// close stops the checking goroutine, if a stream was ever watched.
func (s *streams) close() {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
