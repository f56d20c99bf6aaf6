package limits

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc/peer"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

// healthCheck is never limited: a load balancer's probe must be answered
// even while someone floods the public streams.
const healthCheck = "/grpc.health.v1.Health/Check"

// busyRetry is the retry delay suggested when a concurrency bound, not a
// rate, refused a call: calls usually finish well within it.
const busyRetry = time.Second

// Identity names who is calling: the caller key (the token subject) and the
// organisations charged with the call. ok is false for calls without a
// caller (public methods); they are keyed by the peer's address.
type Identity func(ctx context.Context) (caller string, orgs []string, ok bool)

// Limiter enforces the limits of every method class.
type Limiter struct {
	cfg      Config
	identify Identity
	classes  [numClasses]*classLimiter
	rows     *buckets
	holder   *holder
}

type classLimiter struct {
	name                string
	cfg                 ClassLimits
	callerRate, orgRate *buckets
	callerBusy, orgBusy *counters
	server              *semaphore.Weighted
	waiting             atomic.Int64
}

// New builds the limiter of cfg; identify says who calls.
func New(cfg Config, identify Identity) *Limiter {
	l := &Limiter{cfg: cfg, identify: identify, rows: newBuckets(cfg.ImportRowsPerSecond, cfg.ImportRowsBurst),
		holder: newHolder(cfg.Hold)}
	for cl := Class(0); cl < numClasses; cl++ {
		c := cfg.Classes[cl]
		cls := &classLimiter{
			name: cl.String(), cfg: c,
			callerRate: newBuckets(c.Rate, c.Burst), orgRate: newBuckets(c.OrgRate, c.OrgBurst),
			callerBusy: newCounters(c.InFlight), orgBusy: newCounters(c.OrgInFlight),
		}
		if c.ServerInFlight > 0 {
			cls.server = semaphore.NewWeighted(int64(c.ServerInFlight))
		}
		l.classes[cl] = cls
	}
	return l
}

// Admit lets a call of method start, or refuses it with ResourceExhausted
// and the time to wait. The context it returns carries the class timeout;
// done must be called when the call ends.
func (l *Limiter) Admit(ctx context.Context, method string) (context.Context, func(), error) {
	if method == healthCheck {
		return ctx, func() {}, nil
	}
	c := l.classes[ClassOf(method)]
	caller, orgs, ok := l.identify(ctx)
	if !ok {
		caller, orgs = "peer:"+peerHost(ctx), nil
	}
	// a records what was taken, to give it back in reverse order: one
	// object a call, not a closure and a slice growth per step.
	a := &admission{c: c, caller: caller}
	// refuse undoes what was taken, holds the refusal (see Hold) and
	// answers it, with what is left of the wait as its retry delay. Only
	// the refusals of a caller's or its organisation's own limits are
	// held: a full worker pool is everyone's, a caller who queued for it
	// has waited already, and callers without a token (keyed by address,
	// which a proxy shares and IPv6 multiplies) are answered at once.
	refuse := func(r refusal) (context.Context, func(), error) {
		a.release()
		left := r.retry
		if ok && !r.shared {
			left -= l.holder.hold(ctx, caller, r.retry)
		}
		return ctx, func() {}, r.err(left)
	}
	if !c.callerBusy.acquire(caller) {
		return refuse(busy("you have %d %s calls running, the most allowed at once: wait for one to finish", c.cfg.InFlight, c.name))
	}
	a.callerHeld = true
	for _, org := range orgs {
		if !c.orgBusy.acquire(org) {
			return refuse(busy("organisation %s has %d %s calls running, the most allowed at once", org, c.cfg.OrgInFlight, c.name))
		}
		a.orgsHeld = orgs[:len(a.orgsHeld)+1]
	}
	now := time.Now()
	if ok, retry := c.callerRate.take(caller, now); !ok {
		return refuse(refusal{retry: retry, msg: fmt.Sprintf("too many %s calls: at most %g a second", c.name, c.cfg.Rate)})
	}
	for _, org := range orgs {
		if ok, retry := c.orgRate.take(org, now); !ok {
			return refuse(refusal{retry: retry, msg: fmt.Sprintf("too many %s calls from organisation %s: at most %g a second", c.name, org, c.cfg.OrgRate)})
		}
	}
	if c.server != nil {
		if r, err := c.acquireServer(ctx); err != nil {
			if r == nil {
				a.release()
				return ctx, func() {}, err
			}
			return refuse(*r)
		}
		a.serverHeld = true
	}
	if c.cfg.Timeout > 0 {
		ctx, a.cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	return ctx, a.release, nil
}

// admission is what Admit took for one call.
type admission struct {
	c                      *classLimiter
	caller                 string
	callerHeld, serverHeld bool
	orgsHeld               []string // the organisations whose in-flight slot is held, in order
	cancel                 context.CancelFunc
}

// release gives back what was taken, the last first.
func (a *admission) release() {
	if a.cancel != nil {
		a.cancel()
	}
	if a.serverHeld {
		a.c.server.Release(1)
	}
	for i := len(a.orgsHeld) - 1; i >= 0; i-- {
		a.c.orgBusy.release(a.orgsHeld[i])
	}
	if a.callerHeld {
		a.c.callerBusy.release(a.caller)
	}
}

// acquireServer takes a slot of the replica's pool of this class, waiting
// in a bounded queue while the call's context lasts. It fails with a
// refusal when the pool is full, or with the context's error.
func (c *classLimiter) acquireServer(ctx context.Context) (*refusal, error) {
	if c.server.TryAcquire(1) {
		return nil, nil
	}
	if c.waiting.Add(1) > int64(c.cfg.Queue) {
		c.waiting.Add(-1)
		r := busy("the server is running its %d %s calls and %d more wait", c.cfg.ServerInFlight, c.name, c.cfg.Queue)
		r.shared = true
		return &r, errFull
	}
	defer c.waiting.Add(-1)
	wait := ctx
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	if err := c.server.Acquire(wait, 1); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := busy("no %s worker became free in %s", c.name, c.cfg.Timeout)
		r.shared = true
		return &r, errFull
	}
	return nil, nil
}

// errFull marks a refusal of acquireServer.
var errFull = errors.New("pool full")

// refusal is why a call is refused and how long it should wait.
type refusal struct {
	retry time.Duration
	msg   string
	// shared: the replica's pool refused, not a limit of the caller's own.
	shared bool
}

// busy is the refusal of a concurrency bound: calls usually end within
// busyRetry.
func busy(format string, args ...any) refusal {
	return refusal{retry: busyRetry, msg: fmt.Sprintf(format, args...)}
}

// err is the refusal as ResourceExhausted, told to wait left more (a
// retry delay is always given: the limit frees up by itself).
func (r refusal) err(left time.Duration) error {
	left = max(left, time.Millisecond)
	return rpcerr.ResourceExhausted(left, "%s: try again in %s", r.msg, roundUp(left))
}

// waitRows holds an import until its organisation may import n more rows.
func (l *Limiter) waitRows(ctx context.Context, orgs []string, n int) error {
	if l.rows == nil {
		return nil
	}
	for _, org := range orgs {
		if err := l.rows.get(org).WaitN(ctx, n); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return rpcerr.ResourceExhausted(busyRetry, "organisation %s is importing more than %g rows a second: send fewer rows per stream", org, l.cfg.ImportRowsPerSecond)
		}
	}
	return nil
}

func peerHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return p.Addr.String()
	}
	return host
}

func roundUp(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d.Round(time.Millisecond)
}
