package audit_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/testdb"
)

// benchParallelism is goroutines per CPU: a server answers many calls at once.
const benchParallelism = 32

// BenchmarkRecordRead is the price of auditing one read through the group
// commit: every Read returns only once its event is committed.
func BenchmarkRecordRead(b *testing.B) {
	benchmarkReads(b, true)
}

// BenchmarkInsertOneByOne is the same work without group commit: one
// INSERT and one commit per read (the recorder is not started).
func BenchmarkInsertOneByOne(b *testing.B) {
	benchmarkReads(b, false)
}

func benchmarkReads(b *testing.B, grouped bool) {
	pool := testdb.New(b)
	rec := audit.NewRecorder(pool, nil, audit.Options{ChainInterval: -1})
	if grouped {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec.Start(ctx)
	}
	defer rec.Close()
	postmaster := postmasterOf(b, pool)
	goBefore, pgBefore := processCPU(b), postgresCPU(postmaster)
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := authn.WithCaller(context.Background(), authn.Caller{Subject: "bench"})
		ctx = audit.StartCall(requestid.With(ctx, "bench"), "/casebridge.v1.CaseService/GetCase")
		ctx = authz.WithPrincipal(ctx, authz.Principal{Subject: "bench", Memberships: map[string][]string{"org": {"caseworker"}}})
		caseID := uuid.NewString()
		for pb.Next() {
			if err := rec.Read(ctx, "org", caseID, []dataclass.Class{"identity", "contact"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(1e6*(processCPU(b)-goBefore)/n, "server-µs/event")
	if postmaster != 0 {
		b.ReportMetric(1e6*(postgresCPU(postmaster)-pgBefore)/n, "postgres-µs/event")
	}
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

// BenchmarkChainLink is the price of linking one event into the hash
// chain (the chainer's share of auditing): each iteration links the 1000
// events a busy server records in a few hundred milliseconds.
func BenchmarkChainLink(b *testing.B) {
	pool := testdb.New(b)
	rec := audit.NewRecorder(pool, nil, audit.Options{ChainInterval: -1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.Start(ctx)
	defer rec.Close()
	call := authn.WithCaller(ctx, authn.Caller{Subject: "bench"})
	call = audit.StartCall(requestid.With(call, "bench"), "/casebridge.v1.CaseService/GetCase")
	postmaster := postmasterOf(b, pool)
	var goCPU, pgCPU float64
	linked := 0
	for b.Loop() {
		b.StopTimer()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				for range 20 {
					if err := rec.Read(call, "org", uuid.NewString(), []dataclass.Class{"identity"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		runtime.GC()
		goBefore, pgBefore := processCPU(b), postgresCPU(postmaster)
		b.StartTimer()
		n, err := rec.Chainer().Flush(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		goCPU += processCPU(b) - goBefore
		pgCPU += postgresCPU(postmaster) - pgBefore
		linked += n
		b.StartTimer()
	}
	b.ReportMetric(1e6*goCPU/float64(linked), "server-µs/event")
	if postmaster != 0 {
		b.ReportMetric(1e6*pgCPU/float64(linked), "postgres-µs/event")
	}
}
