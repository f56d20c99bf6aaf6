package caseref_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/caseref"
	"github.com/casebridge/casebridge/internal/testdb"
)

// Concurrent reservations ahead of their creates never give a number
// twice, and the commit setting they make ends with their own statement:
// the pooled connection commits durably again for the next caller.
func TestReserveAhead(t *testing.T) {
	ctx := context.Background()
	setup, url := testdb.NewWithURL(t)
	// The test cluster commits asynchronously by default; this database
	// does not, as a real one.
	if _, err := setup.Exec(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ('shelter-x', 'Shelter X', 1)`); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				prefix, n, err := caseref.ReserveAhead(ctx, pool, "shelter-x", 2026, 1)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] || prefix != "SHE" {
					t.Errorf("reserved %s-%d twice or with the wrong prefix", prefix, n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 160 || !seen[1] || !seen[160] {
		t.Errorf("160 reservations gave %d distinct numbers", len(seen))
	}

	// Every connection of the pool is back to durable commits.
	conns := make([]*pgxpool.Conn, 0, cfg.MaxConns)
	for range cfg.MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var setting string
		if err := c.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&setting); err != nil {
			t.Fatal(err)
		}
		if setting != "on" {
			t.Errorf("a pooled connection kept synchronous_commit = %s after a reservation", setting)
		}
	}
	for _, c := range conns {
		c.Release()
	}

	// In a transaction (a transfer's), Reserve changes nothing of its commit.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, n, err := caseref.Reserve(ctx, tx, "shelter-x", 2026, 3); err != nil || n != 161 {
		t.Fatalf("Reserve in a transaction: first %d, %v", n, err)
	}
	var setting string
	if err := tx.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&setting); err != nil || setting != "on" {
		t.Errorf("Reserve in a transaction set synchronous_commit = %s (%v)", setting, err)
	}
}
