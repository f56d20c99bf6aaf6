package audit

import (
	"context"
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// CaseRead is one case a response returned: the organisation the caller
// read it for and the sensitive classes returned in clear (none for a
// response that carries only the case's plain data, such as court data).
type CaseRead struct {
	Org     string
	CaseID  string
	Classes []dataclass.Class
}

// ReadMany records a read event for each case a response returned — a list
// over many cases is as many reads — and returns once all are durable (one
// group commit, not one per case). A handler must not answer if it fails.
// With no reads it records nothing: the interceptor then records the call.
// A nil Recorder records nothing either.
func (r *Recorder) ReadMany(ctx context.Context, reads []CaseRead) error {
	if r == nil || len(reads) == 0 {
		return nil
	}
	evs := make([]Event, 0, len(reads))
	var c *call
	for _, rd := range reads {
		ev, cl, err := r.prepare(ctx, rd.Org, rd.CaseID, rd.Classes)
		if err != nil {
			return err
		}
		evs, c = append(evs, ev), cl
	}
	if err := r.writeAll(ctx, evs); err != nil {
		return fmt.Errorf("audit: record %d reads: %w", len(evs), err)
	}
	c.mu.Lock()
	c.durable += len(evs)
	c.mu.Unlock()
	return nil
}

// writeAll makes evs durable: queued together for the group commit once
// started, in one insert before.
func (r *Recorder) writeAll(ctx context.Context, evs []Event) error {
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	if !r.started {
		r.mu.RUnlock()
		return r.insertDurable(ctx, evs)
	}
	ps := make([]*pending, 0, len(evs))
	for _, ev := range evs {
		p := &pending{ev: ev, done: make(chan error, 1)}
		r.waiting.Add(1)
		select {
		case r.queue <- p:
			ps = append(ps, p)
		case <-ctx.Done():
			r.mu.RUnlock()
			r.waiting.Add(-1)
			return ctx.Err()
		}
	}
	r.mu.RUnlock()
	for _, p := range ps {
		select {
		case err := <-p.done:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err() // the events may still be written: over-auditing is harmless
		}
	}
	return nil
}

// ReadSet gathers the cases a list response returns, each once, with the
// organisation the caller read it for and every class returned in clear
// for it by any item: the argument of ReadMany.
type ReadSet struct {
	reads []CaseRead
	index map[string]int
}

// Add notes that the response returns case caseID, read for org, with
// classes in clear. A case already noted keeps its organisation and gains
// the classes it did not have, so that a case whose first item carries no
// sensitive class and whose second does is recorded with it.
func (s *ReadSet) Add(org, caseID string, classes []dataclass.Class) {
	if s.index == nil {
		s.index = map[string]int{}
	}
	i, seen := s.index[caseID]
	if !seen {
		s.index[caseID] = len(s.reads)
		s.reads = append(s.reads, CaseRead{Org: org, CaseID: caseID, Classes: slices.Clone(classes)})
		return
	}
	for _, c := range classes {
		if !slices.Contains(s.reads[i].Classes, c) {
			s.reads[i].Classes = append(s.reads[i].Classes, c)
		}
	}
}

// Reads are the reads gathered, in the order first added.
func (s *ReadSet) Reads() []CaseRead { return s.reads }
