package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestShutdownEndsWatches: an open WatchReferrals stream does not hold a
// graceful shutdown for its whole grace period; the watcher is told and
// can reconnect elsewhere with its cursor.
func TestShutdownEndsWatches(t *testing.T) {
	env := servertest.Start(t, func(c *server.Config) { c.ShutdownGrace = time.Minute })
	ctx, cancel := context.WithCancel(env.As(t, "caseworker@shelter-a"))
	defer cancel()
	stream, err := casebridgev1.NewReferralServiceClient(env.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := stream.Recv()
		ended <- err
	}()
	start := time.Now()
	env.Stop(t)
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("shutdown waited %v for an open watch", took)
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("the watch got an event instead of ending")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not end with the server")
	}
}
