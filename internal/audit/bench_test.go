package audit

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/testdb"
)

// benchParallelism is goroutines per CPU: a server answers many calls at once.
const benchParallelism = 32

// BenchmarkRecordRead is the price of auditing one read through the group
// commit: every Read returns only once its event is committed.
func BenchmarkRecordRead(b *testing.B) {
	pool := testdb.New(b)
	rec := startRecorder(b, pool, Options{ChainInterval: -1})
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := callCtx("bench", getCase, map[string][]string{"org": {"caseworker"}})
		caseID := uuid.NewString()
		for pb.Next() {
			if err := rec.Read(ctx, "org", caseID, []string{"identity", "contact"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCommits(b, pool)
}

// BenchmarkInsertOneByOne is the same work without group commit: one
// INSERT and one commit per read.
func BenchmarkInsertOneByOne(b *testing.B) {
	pool := testdb.New(b)
	rec := NewRecorder(pool, quietLog(), Options{ChainInterval: -1}) // not started: no batching
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := callCtx("bench", getCase, map[string][]string{"org": {"caseworker"}})
		caseID := uuid.NewString()
		for pb.Next() {
			if err := rec.Read(ctx, "org", caseID, []string{"identity", "contact"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCommits(b, pool)
}

func reportCommits(b *testing.B, pool *pgxpool.Pool) {
	var events, commits float64
	if err := pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT xid) FROM audit_events`).Scan(&events, &commits); err != nil {
		b.Fatal(err)
	}
	if commits > 0 {
		b.ReportMetric(events/commits, "events/commit")
	}
}
