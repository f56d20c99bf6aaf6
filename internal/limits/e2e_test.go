package limits_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The tests run with limits of 50 and attacks of 60, so that they stay quick.
const (
	limit  = 50
	attack = 60
)

func withLimits(f func(*limits.Config)) servertest.Option {
	return func(c *server.Config) {
		c.Limits = limits.Defaults().WithoutCallerLimits()
		// Refusals are answered at once, so that a test counts them
		// quickly; TestRefusalsHeld is about holding them.
		c.Limits.Hold = limits.Hold{}
		f(&c.Limits)
	}
}

// exhausted reports a ResourceExhausted error that says when to retry.
func exhausted(t *testing.T, err error) bool {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		return false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
			return true
		}
	}
	t.Errorf("ResourceExhausted without a retry delay: %v", err)
	return true
}

// One caller beyond its rate is refused with a retry delay; a caller of
// another organisation is served meanwhile.
func TestCallerRateLimit(t *testing.T) {
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Classes[limits.Read] = limits.ClassLimits{Rate: 1, Burst: limit}
	}))
	orgs := env.Organizations()
	attacker, bystander := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	refused := 0
	for range attack {
		_, err := orgs.GetCallerIdentity(attacker, &casebridgev1.GetCallerIdentityRequest{})
		switch {
		case err == nil:
		case exhausted(t, err):
			refused++
		default:
			t.Fatalf("attacker: %v", err)
		}
	}
	if refused < attack-limit-1 {
		t.Fatalf("%d of %d calls beyond a burst of %d were refused", refused, attack, limit)
	}
	if _, err := orgs.GetCallerIdentity(bystander, &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("a caller of another organisation was refused: %v", err)
	}
}

// The members of one organisation share its rate; another organisation's
// members do not.
func TestOrganizationRateLimit(t *testing.T) {
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Classes[limits.Read] = limits.ClassLimits{OrgRate: 1, OrgBurst: limit}
	}))
	orgs := env.Organizations()
	members := []context.Context{env.As(t, "caseworker@shelter-a"), env.As(t, "supervisor@shelter-a")}
	refused := 0
	for i := range attack {
		_, err := orgs.GetCallerIdentity(members[i%2], &casebridgev1.GetCallerIdentityRequest{})
		switch {
		case err == nil:
		case exhausted(t, err):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if refused < attack-limit-1 {
		t.Fatalf("%d of %d calls of one organisation beyond its burst of %d were refused", refused, attack, limit)
	}
	if _, err := orgs.GetCallerIdentity(env.As(t, "caseworker@cso-c"), &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("another organisation was refused: %v", err)
	}
}

// One subject cannot hold more than its share of watch streams open; the
// streams it opened keep working, another subject can still watch.
func TestWatchStreamsPerSubject(t *testing.T) {
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Classes[limits.Watch] = limits.ClassLimits{InFlight: limit}
	}))
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	ctx, cancel := context.WithCancel(env.As(t, "caseworker@shelter-a"))
	defer cancel()
	// An open watch blocks in Recv (nothing happens); a refused one returns.
	ended := make(chan error, attack)
	for range attack {
		stream, err := refs.WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := stream.Recv()
			ended <- err
		}()
	}
	timeout := time.After(20 * time.Second)
	for range attack - limit {
		select {
		case err := <-ended:
			if !exhausted(t, err) {
				t.Fatalf("a watch ended with %v", err)
			}
		case <-timeout:
			t.Fatalf("fewer than %d of %d watches of one subject were refused", attack-limit, attack)
		}
	}
	other, err := refs.WatchReferrals(env.As(t, "caseworker@cso-c"), &casebridgev1.WatchReferralsRequest{})
	if err == nil {
		_, err = other.Header()
	}
	if err != nil {
		t.Fatalf("another subject could not watch: %v", err)
	}
	select {
	case err := <-ended:
		t.Fatalf("more than %d watches refused, or an open one ended: %v", attack-limit, err)
	case <-time.After(200 * time.Millisecond):
	}
}

// Streams without a token (Health/Watch) are bounded per client address;
// the load balancer's Health/Check is still answered.
func TestUnauthenticatedStreamsBounded(t *testing.T) {
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Classes[limits.Public] = limits.ClassLimits{InFlight: limit}
	}))
	health := healthpb.NewHealthClient(env.Conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open, refused := 0, 0
	for range attack {
		w, err := health.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = w.Recv()
		}
		switch {
		case err == nil:
			open++
		case exhausted(t, err):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if open != limit || refused != attack-limit {
		t.Fatalf("%d health watches open and %d refused, want %d and %d", open, refused, limit, attack-limit)
	}
	if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check refused while the watches are held: %v", err)
	}
}

// One connection cannot open more concurrent streams than the server's
// bound: the client is made to wait, and the server holds no more.
func TestStreamsPerConnection(t *testing.T) {
	env := servertest.Start(t, withLimits(func(c *limits.Config) {
		c.Transport.MaxStreamsPerConn = limit
	}))
	conn, err := grpc.NewClient(env.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range limit {
		w, err := health.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = w.Recv()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	w, err := health.Watch(short, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("stream %d on one connection: %v, want it held back until its deadline", limit+1, err)
	}
}

// A flood that retries at once paces itself: each refusal is answered
// after its retry delay, so sixteen callers hammering for two seconds get a
// few dozen refusals, not the thousands the server would otherwise answer,
// and a bystander is served at once meanwhile.
func TestRefusalsHeld(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) {
		c.Limits = limits.Defaults().WithoutCallerLimits()
		c.Limits.Classes[limits.Read] = limits.ClassLimits{Rate: 1, Burst: 1}
	})
	orgs := env.Organizations()
	attacker, bystander := env.As(t, "caseworker@shelter-a"), env.As(t, "lawyer@legal-b")
	ctx, cancel := context.WithTimeout(attacker, 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused, served := 0, 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
				mu.Lock()
				switch {
				case err == nil:
					served++
				case ctx.Err() != nil, status.Code(err) == codes.DeadlineExceeded:
					// The flood's end: the server may answer the deadline
					// a moment before the client's own timer fires.
				case exhausted(t, err):
					refused++
				default:
					t.Errorf("attacker: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if _, err := orgs.GetCallerIdentity(bystander, &casebridgev1.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("bystander during the flood: %v", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("the bystander waited %s during the flood", took)
	}
	wg.Wait()
	// At one call a second and a hold of up to a second, each of the 16
	// callers is answered about once a second: some 32 refusals, and a few
	// more for the rounding of retry delays. Without the hold: thousands.
	if refused == 0 || refused > 100 {
		t.Errorf("a 2 s flood by 16 callers got %d refusals (and %d calls served), want a few dozen", refused, served)
	}
	if served > 4 {
		t.Errorf("%d calls served at a rate of 1 a second over 2 s", served)
	}
}
