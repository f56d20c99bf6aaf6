package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/status"
)

// callTimeout bounds one operation, so a stuck call counts as an error
// instead of hanging the run.
const callTimeout = 30 * time.Second

// op is one unit of a workload (one RPC, or one referral flow of three).
type op func(ctx context.Context, w *worker) error

// worker is one concurrent caller. Its fields are its own: no locking.
type worker struct {
	id  int
	n   int // how many workers run this workload
	rng *rand.Rand
}

// sample collects the latencies and errors of one workload.
type sample struct {
	mu        sync.Mutex
	latencies []time.Duration
	service   []time.Duration // open loop: from the actual start, without queueing
	errors    int64
	errSeen   map[string]int
	lastEnd   time.Time
}

func newSample() *sample { return &sample{errSeen: map[string]int{}} }

func (s *sample) record(lat time.Duration, end time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if end.After(s.lastEnd) {
		s.lastEnd = end
	}
	if err != nil {
		s.errors++
		s.errSeen[errText(err)]++
		return
	}
	s.latencies = append(s.latencies, lat)
}

// recordService adds the service time of an open-loop call.
func (s *sample) recordService(d time.Duration) {
	s.mu.Lock()
	s.service = append(s.service, d)
	s.mu.Unlock()
}

// errText is an error as one short line: its gRPC code and message.
func errText(err error) string {
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Code().String() + ": " + st.Message()
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// result turns the sample into a Result over the window that began at start.
func (s *sample) result(name, kind string, concurrency int, start time.Time) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Result{Name: name, Kind: kind, Concurrency: concurrency, Requests: int64(len(s.latencies)), Errors: s.errors}
	elapsed := s.lastEnd.Sub(start)
	if elapsed > 0 {
		r.Seconds = elapsed.Seconds()
		r.RPS = float64(len(s.latencies)) / elapsed.Seconds()
	}
	if len(s.latencies) > 0 {
		slices.Sort(s.latencies)
		r.P50Ms = ms(percentile(s.latencies, 50))
		r.P95Ms = ms(percentile(s.latencies, 95))
		r.P99Ms = ms(percentile(s.latencies, 99))
		r.MaxMs = ms(s.latencies[len(s.latencies)-1])
	}
	if len(s.service) > 0 {
		slices.Sort(s.service)
		r.ServiceP99Ms = ms(percentile(s.service, 99))
	}
	for text, n := range s.errSeen {
		r.ErrorSamples = append(r.ErrorSamples, fmt.Sprintf("%d× %s", n, text))
	}
	slices.Sort(r.ErrorSamples)
	if len(r.ErrorSamples) > 5 {
		r.ErrorSamples = r.ErrorSamples[:5]
	}
	return r
}

// percentile of sorted latencies, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// runClosed runs f on concurrency workers back to back for warmup (not
// measured) and then dur, and reports the calls started in the measured
// window (at least one per worker): throughput at a fixed concurrency
// (closed loop).
func runClosed(ctx context.Context, name string, concurrency int, warmup, dur time.Duration, wt *watch, f op) Result {
	s := newSample()
	begin := time.Now()
	measureFrom := begin.Add(warmup)
	end := measureFrom.Add(dur)
	begun := beginAt(wt, measureFrom)
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{id: i, n: concurrency, rng: rand.New(rand.NewPCG(uint64(i)+1, uint64(begin.UnixNano())))}
			measuredAny := false
			for ctx.Err() == nil {
				t0 := time.Now()
				// Every worker measures at least one call, so that a
				// workload slower than its window still reports a latency
				// instead of an empty row.
				if !t0.Before(end) && measuredAny {
					return
				}
				measured := !t0.Before(measureFrom)
				measuredAny = measuredAny || measured
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				err := f(cctx, w)
				cancel()
				calls.Add(1)
				t1 := time.Now()
				if measured {
					s.record(t1.Sub(t0), t1, err)
				}
			}
		}()
	}
	wg.Wait()
	r := s.result(name, "closed", concurrency, measureFrom)
	r.Calls = calls.Load()
	<-begun
	wt.end(&r)
	return r
}

// beginAt starts wt's window at t without holding up the callers; the
// channel closes once it has.
func beginAt(wt *watch, t time.Time) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(time.Until(t))
		wt.begin()
	}()
	return done
}

// runOpen issues f at a fixed rate (open loop) for warmup and then dur,
// on concurrency workers, and measures each call from the time it was due,
// so that waiting for a free worker counts (no coordinated omission).
func runOpen(ctx context.Context, name string, concurrency int, rate float64, warmup, dur time.Duration, wt *watch, f op) Result {
	s := newSample()
	begin := time.Now()
	measureFrom := begin.Add(warmup)
	end := measureFrom.Add(dur)
	total := int64((warmup + dur).Seconds() * rate)
	due := make(chan time.Time, 4096)
	begun := beginAt(wt, measureFrom)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{id: i, n: concurrency, rng: rand.New(rand.NewPCG(uint64(i)+101, uint64(begin.UnixNano())))}
			for t0 := range due {
				started := time.Now()
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				err := f(cctx, w)
				cancel()
				t1 := time.Now()
				if !t0.Before(measureFrom) {
					s.record(t1.Sub(t0), t1, err)
					if err == nil {
						s.recordService(t1.Sub(started))
					}
				}
			}
		}()
	}
	interval := time.Duration(float64(time.Second) / rate)
	measuredCalls := 0
	for i := int64(0); i < total && ctx.Err() == nil; i++ {
		at := begin.Add(time.Duration(i) * interval)
		if !at.Before(end) {
			break
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		if !at.Before(measureFrom) {
			measuredCalls++
			select {
			case due <- at:
			default:
				// The queue is full: the server is far behind. Count the
				// call as failed rather than block the schedule.
				s.record(0, time.Now(), fmt.Errorf("client queue full: the server is far behind the schedule"))
			}
			continue
		}
		due <- at
	}
	if measuredCalls == 0 && ctx.Err() == nil {
		// A rate too low for the window still measures one call, due at
		// the window's start, rather than report an empty row.
		time.Sleep(time.Until(measureFrom))
		due <- measureFrom
	}
	close(due)
	wg.Wait()
	r := s.result(name, "open", concurrency, measureFrom)
	r.TargetRPS = rate
	<-begun
	wt.end(&r)
	return r
}

// runSolo calls f one at a time, n times, or fewer (but at least three)
// once dur has passed; a first, unmeasured call warms caches.
func runSolo(ctx context.Context, name string, n int, dur time.Duration, wt *watch, f op) Result {
	s := newSample()
	w := &worker{id: 0, n: 1, rng: rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_ = f(cctx, w)
	cancel()
	wt.begin()
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if i >= 3 && time.Since(start) >= dur {
			break
		}
		t0 := time.Now()
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := f(cctx, w)
		cancel()
		t1 := time.Now()
		s.record(t1.Sub(t0), t1, err)
	}
	r := s.result(name, "solo", 1, start)
	wt.end(&r)
	return r
}
