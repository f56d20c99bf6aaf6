package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/testdb"
)

// sleeping counts the sleeps of this test that PostgreSQL is running.
func sleeping(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%' AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A statement whose context ends is cancelled in PostgreSQL at once, not
// left running after its call returned, and its connection stays usable:
// a flood of calls running into their deadline costs no reconnections.
func TestContextEndCancelsTheStatement(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	pool, err := db.Open(context.Background(), url+"&pool_max_conns=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := pool.Exec(ctx, "SELECT pg_sleep(30)")
		done <- err
	}()
	for sleeping(t, pool) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-done; err == nil {
		t.Fatal("a 30 s statement finished within its 1 s context")
	}
	for i := 0; sleeping(t, pool) > 0; i++ {
		if i == 25 {
			t.Fatal("the statement still runs in PostgreSQL after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Both connections in use at once: a dropped one would be replaced.
	for range 2 {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
	}
	if n := pool.Stat().NewConnsCount(); n > 2 {
		t.Fatalf("%d connections opened: the cancelled call's connection was dropped", n)
	}
}
