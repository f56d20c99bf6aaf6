package faults

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestPostgresKilled kills the server's PostgreSQL with kill -9 under load
// and starts it again: meanwhile the server answers Unavailable (never
// Internal), and afterwards it serves again by itself, with every
// acknowledged write intact.
func TestPostgresKilled(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	srv := StartServer(t, serverBin, url)
	w := NewWorkload(t, srv, Options{})
	w.Start()
	loadFor(t, w, 60)

	cl.Kill9(t)
	before := w.Ledger.Count(codes.Unavailable)
	time.Sleep(3 * time.Second)
	cl.Start(t)
	restarted := time.Now()
	n := w.Ledger.Acked()
	for w.Ledger.Acked() == n {
		if time.Since(restarted) > time.Minute {
			t.Fatalf("no write acknowledged a minute after PostgreSQL restarted (%s)", w.Ledger.Codes())
		}
		time.Sleep(20 * time.Millisecond)
	}
	recovery := time.Since(restarted)
	loadFor(t, w, 60)
	w.Stop()
	if w.Ledger.Count(codes.Unavailable) == before {
		t.Error("no call was answered Unavailable while PostgreSQL was down")
	}
	clean(t, w)
	report(t, "PostgreSQL killed (kill -9) and restarted", Check(t, srv, url, w.Ledger), recovery)
}
