package faults

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestFailover runs the server on a multi-host DATABASE_URL
// (target_session_attrs=read-write) over a primary and its synchronous
// streaming standby, promotes the standby mid-load and kills the old
// primary: no acknowledged write is lost, and the server follows the new
// primary by itself.
func TestFailover(t *testing.T) {
	primary := StartCluster(t)
	primary.Database(t, "casebridge")
	standby := primary.StartStandby(t)
	multi := "postgres://postgres@" + primary.Host(t) + "," + standby.Host(t) + "/casebridge?sslmode=disable&target_session_attrs=read-write"
	srv := StartServer(t, serverBin, multi)
	w := NewWorkload(t, srv, Options{})
	w.Start()
	loadFor(t, w, 60)

	// The standby is synchronous: the primary acknowledges no commit the
	// standby has not flushed.
	db, err := pgx.Connect(context.Background(), "postgres://postgres@"+primary.Host(t)+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	var state string
	err = db.QueryRow(context.Background(), `SELECT sync_state FROM pg_stat_replication`).Scan(&state)
	db.Close(context.Background())
	if err != nil || state != "sync" {
		t.Fatalf("standby replication state %q (%v), want sync", state, err)
	}
	standby.Promote(t)
	primary.Kill9(t)
	promoted := time.Now()
	recovery := firstAck(t, w, promoted)
	loadFor(t, w, 60)
	w.Stop()
	clean(t, w)
	report(t, "failover: standby promoted, old primary killed (kill -9)", Check(t, srv, "postgres://postgres@"+standby.Host(t)+"/casebridge?sslmode=disable", w.Ledger), recovery)
}
