package limits

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func identityOf(caller string, orgs ...string) Identity {
	return func(context.Context) (string, []string, bool) { return caller, orgs, true }
}

// retryDelay returns the RetryInfo of a ResourceExhausted error.
func retryDelay(t *testing.T, err error) time.Duration {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("want ResourceExhausted, got %v", err)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	t.Fatalf("ResourceExhausted without RetryInfo: %v", err)
	return 0
}

func TestClassOf(t *testing.T) {
	for method, want := range map[string]Class{
		"/casebridge.v1.CaseService/GetCase":            Read,
		"/casebridge.v1.CaseService/ListNotes":          Read,
		"/casebridge.v1.AuditService/VerifyChain":       Read,
		"/casebridge.v1.CaseService/UpdateCase":         Write,
		"/casebridge.v1.ReferralService/AcceptReferral": Write,
		"/casebridge.v1.CaseService/ImportCases":        Import,
		"/casebridge.v1.StatsService/CountCases":        Stats,
		"/casebridge.v1.StatsService/GetIndicators":     Stats,
		"/casebridge.v1.ReferralService/WatchReferrals": Watch,
		"/grpc.health.v1.Health/Watch":                  Public,
	} {
		if got := ClassOf(method); got != want {
			t.Errorf("ClassOf(%s) = %s, want %s", method, got, want)
		}
	}
}

// A caller at its in-flight bound is refused until a call ends; another
// caller of the same organisation is not, until the organisation's bound.
func TestAdmitInFlight(t *testing.T) {
	var cfg Config
	cfg.Classes[Write] = ClassLimits{InFlight: 2, OrgInFlight: 3}
	who := "a"
	l := New(cfg, func(context.Context) (string, []string, bool) { return who, []string{"org"}, true })
	const m = "/casebridge.v1.CaseService/UpdateCase"
	var done []func()
	for range 2 {
		_, d, err := l.Admit(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, d)
	}
	_, _, err := l.Admit(context.Background(), m)
	if retryDelay(t, err) <= 0 {
		t.Fatal("no retry delay")
	}
	who = "b"
	_, d, err := l.Admit(context.Background(), m)
	if err != nil {
		t.Fatalf("second caller refused below the organisation's bound: %v", err)
	}
	if _, _, err := l.Admit(context.Background(), m); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("organisation bound not enforced: %v", err)
	}
	d()
	done[0]()
	who = "a"
	if _, _, err := l.Admit(context.Background(), m); err != nil {
		t.Fatalf("a finished call did not free its slot: %v", err)
	}
}

// The replica's pool of a class runs ServerInFlight calls, queues Queue
// more until their deadline, and refuses the rest at once.
func TestAdmitServerPoolQueues(t *testing.T) {
	var cfg Config
	cfg.Classes[Stats] = ClassLimits{ServerInFlight: 1, Queue: 1, Timeout: time.Minute}
	l := New(cfg, identityOf("c"))
	const m = "/casebridge.v1.StatsService/CountCases"
	_, done, err := l.Admit(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() {
		_, d, err := l.Admit(context.Background(), m)
		if err == nil {
			d()
		}
		queued <- err
	}()
	for l.classes[Stats].waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, _, err := l.Admit(context.Background(), m); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a call beyond the queue was not refused: %v", err)
	}
	done()
	if err := <-queued; err != nil {
		t.Fatalf("the queued call was not served once a worker was free: %v", err)
	}
}

// The class timeout bounds the call's context even when the client gave
// none, and a rate refusal says when to retry.
func TestAdmitTimeoutAndRate(t *testing.T) {
	var cfg Config
	cfg.Classes[Read] = ClassLimits{Rate: 1, Burst: 1, Timeout: 50 * time.Millisecond}
	l := New(cfg, identityOf("d"))
	const m = "/casebridge.v1.CaseService/GetCase"
	ctx, done, err := l.Admit(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > 50*time.Millisecond {
		t.Fatalf("class timeout not applied: %v %v", dl, ok)
	}
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal(ctx.Err())
	}
	_, _, err = l.Admit(context.Background(), m)
	if d := retryDelay(t, err); d < 500*time.Millisecond || d > time.Second {
		t.Fatalf("retry delay %s, want about a second at 1 call/s", d)
	}
}

func TestClassLimitsFlag(t *testing.T) {
	l := Defaults().Classes[Read]
	if err := l.Set("rate=5,inflight=2,timeout=3s"); err != nil {
		t.Fatal(err)
	}
	if l.Rate != 5 || l.InFlight != 2 || l.Timeout != 3*time.Second || l.OrgRate != Defaults().Classes[Read].OrgRate {
		t.Fatalf("Set kept or changed the wrong limits: %+v", l)
	}
	var back ClassLimits
	if err := back.Set(l.String()); err != nil || back != l {
		t.Fatalf("String does not round-trip: %q %+v %v", l.String(), back, err)
	}
	if err := l.Set("speed=3"); err == nil {
		t.Fatal("an unknown key was accepted")
	}
}

// Flags configure a server exactly like the Config they came from.
func TestFlagsRoundTrip(t *testing.T) {
	want := Defaults().WithoutCallerLimits()
	want.Classes[Stats].Queue = 64
	var got Config
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	got.RegisterFlags(fs)
	if err := fs.Parse(want.Flags()); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("flags gave\n%+v\nwant\n%+v", got, want)
	}
}

// A refusal is answered after its retry delay, up to Hold.Max, and tells
// the caller only what is left of the wait; past the bounds of callers and
// of the replica, refusals are answered at once.
func TestRefusalsHeld(t *testing.T) {
	var cfg Config
	cfg.Classes[Read] = ClassLimits{Rate: 1, Burst: 1}
	cfg.Hold = Hold{Max: 300 * time.Millisecond, PerCaller: 2, PerReplica: 3}
	l := New(cfg, func(ctx context.Context) (string, []string, bool) {
		return ctx.Value(callerKey{}).(string), nil, true
	})
	as := func(caller string) context.Context {
		return context.WithValue(context.Background(), callerKey{}, caller)
	}
	const get = "/casebridge.v1.CaseService/GetCase"
	for _, c := range []string{"a", "b", "c"} {
		if _, done, err := l.Admit(as(c), get); err != nil {
			t.Fatalf("%s's first call: %v", c, err)
		} else {
			done()
		}
	}

	start := time.Now()
	_, _, err := l.Admit(as("a"), get)
	took := time.Since(start)
	if took < 250*time.Millisecond || took > 2*time.Second {
		t.Errorf("a refusal was answered after %s, want about the hold of 300ms", took)
	}
	if left := retryDelay(t, err); left > 750*time.Millisecond {
		t.Errorf("after a hold of %s the caller is told to wait %s more (its wait was 1s)", took, left)
	}

	// Five refusals of a at once: two are held (PerCaller), three are not;
	// with b's and c's, three are held in all (PerReplica).
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := map[string]int{}
	for _, c := range []string{"a", "a", "a", "a", "a", "b", "b", "c"} {
		ctx := as(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, _, err := l.Admit(ctx, get)
			retryDelay(t, err)
			if time.Since(start) > 150*time.Millisecond {
				mu.Lock()
				held[c]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := held["a"] + held["b"] + held["c"]; n != 3 || held["a"] > 2 || held["b"] > 2 {
		t.Errorf("refusals held: %v, want at most 2 per caller and 3 in all", held)
	}
	if n := l.holder.heldNow(); n != 0 {
		t.Errorf("%d refusals still counted as held", n)
	}

	// A call whose context ends is not held past it.
	ctx, cancel := context.WithTimeout(as("a"), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, _, err := l.Admit(ctx, get); err == nil {
		t.Fatal("admitted beyond the rate")
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("a refusal was held %s past its call's deadline of 20ms", took)
	}
}

type callerKey struct{}

// Only a caller's own limits are held: a refusal by the replica's full
// worker pool (which others filled, and for which the caller may already
// have queued its class timeout) and a refusal of a caller without a token
// are answered at once.
func TestSharedRefusalsNotHeld(t *testing.T) {
	var cfg Config
	cfg.Classes[Stats] = ClassLimits{ServerInFlight: 1, Queue: 1, Timeout: 200 * time.Millisecond}
	cfg.Classes[Public] = ClassLimits{InFlight: 1}
	cfg.Hold = Hold{Max: time.Second, PerCaller: 32, PerReplica: 1024}
	l := New(cfg, func(ctx context.Context) (string, []string, bool) {
		c, ok := ctx.Value(callerKey{}).(string)
		return c, nil, ok
	})
	as := func(c string) context.Context { return context.WithValue(context.Background(), callerKey{}, c) }
	const stats = "/casebridge.v1.StatsService/CountCases"
	_, done, err := l.Admit(as("hog"), stats)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	start := time.Now()
	_, _, err = l.Admit(as("victim"), stats)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("a refusal by the full pool came %s after the call began (class timeout 200ms): it was held", took)
	}
	retryDelay(t, err)

	// Without a token (keyed by peer address).
	const public = "/grpc.health.v1.Health/Watch"
	_, pdone, err := l.Admit(context.Background(), public)
	if err != nil {
		t.Fatal(err)
	}
	defer pdone()
	start = time.Now()
	_, _, err = l.Admit(context.Background(), public)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("a refusal of a caller without a token was held %s", took)
	}
	retryDelay(t, err)
	if n := l.holder.heldNow(); n != 0 {
		t.Errorf("%d refusals still counted as held", n)
	}
}

// A call whose context ends while it waits for the replica's pool gives
// back the caller's and the organisation's in-flight slots it took: the
// caller is not left one call short for good.
func TestAdmitCancelledInQueueFreesSlots(t *testing.T) {
	var cfg Config
	cfg.Classes[Stats] = ClassLimits{InFlight: 2, OrgInFlight: 2, ServerInFlight: 1, Queue: 4, Timeout: time.Minute}
	l := New(cfg, identityOf("c", "org"))
	const m = "/casebridge.v1.StatsService/CountCases"
	_, done, err := l.Admit(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := l.Admit(ctx, m); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call that timed out in the queue: %v", err)
	}
	done()
	c := l.classes[Stats]
	for name, k := range map[*counters]string{c.callerBusy: "c", c.orgBusy: "org"} {
		name.mu.Lock()
		n := name.n[k]
		name.mu.Unlock()
		if n != 0 {
			t.Errorf("%s still counts %d calls in flight after both ended", k, n)
		}
	}
}
