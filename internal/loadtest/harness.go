package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/casebridge/casebridge/internal/authn"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Run starts the server, seeds it, runs every selected workload and
// returns the report. It fails only when the run itself cannot happen
// (no database, a server that does not start, seeding that fails); errors
// of individual calls are counted in the report.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "loadharness %6.1fs: %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	rep = &Report{
		Machine: machineInfo(),
		Settings: Settings{
			Cases: cfg.Cases, FullCases: cfg.FullCases, DurationSeconds: cfg.Duration.Seconds(),
			WarmupSeconds: cfg.Warmup.Seconds(), Concurrency: cfg.Concurrency, HalfRate: cfg.HalfRate,
			ServerLogLevel: cfg.ServerLogLevel,
		},
		Started: began.UTC().Format(time.RFC3339),
	}

	// The database: a fresh one of our own, or the one given.
	dbURL := cfg.DatabaseURL
	if cfg.FreshDatabase {
		var drop func()
		dbURL, drop, err = freshDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if cfg.KeepDatabase {
			logf("keeping database %s", dbURL)
		} else {
			defer drop()
		}
	}

	// The dev-mode data directory: the token key and organisation keys.
	dataDir := cfg.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "loadharness-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}

	logf("starting the server")
	srv, err := startServer(ctx, &cfg, dbURL, dataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		srv.mem.finish()
		if stopErr := srv.stop(); stopErr != nil && err == nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the server did not stop cleanly: %v", stopErr))
		}
	}()
	rep.Settings.ServerMode = srv.mode
	rep.ServerMemoryMethod = srv.mem.method
	logf("server %s on %s", srv.mode, srv.addr)
	// More replicas, one after the other once the first has migrated and
	// seeded the database.
	addrs, pids := []string{srv.addr}, []int{srv.pid}
	for n := 2; n <= cfg.Replicas; n++ {
		r, err := startReplica(ctx, &cfg, dbURL, dataDir, n)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", n, err)
		}
		defer func() {
			r.mem.finish()
			if stopErr := r.stop(); stopErr != nil && err == nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("replica %d did not stop cleanly: %v", n, stopErr))
			}
		}()
		logf("replica %d on %s", n, r.addr)
		addrs, pids = append(addrs, r.addr), append(pids, r.pid)
	}
	if cfg.Replicas > 1 {
		rep.Settings.Replicas = cfg.Replicas
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d replicas: server CPU per call is all of them together; memory and allocation figures are replica 1's", cfg.Replicas))
	}

	e, closeEnv, err := newEnv(ctx, &cfg, addrs, dbURL, dataDir)
	if err != nil {
		return nil, err
	}
	defer closeEnv()
	_ = e.pool.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&rep.Machine.PostgreSQL)
	rep.Durability = durability(ctx, e.pool)
	wt := &watch{mem: srv.mem, cpu: &cpuMeter{serverPID: srv.pid, pool: e.meta}, admin: srv.admin, ctx: ctx, replicas: e.replicas}
	if cfg.Replicas > 1 && srv.pid != 0 {
		wt.cpu.replicaPIDs = pids
	}

	// Seed: coded-only cases by SQL, then full cases through CreateCase.
	coded := cfg.Cases - cfg.FullCases
	t0 := time.Now()
	if coded > 0 {
		if err := seedCodedSQL(ctx, e.pool, coded, logf); err != nil {
			return nil, err
		}
	}
	rep.Seed.CodedCases, rep.Seed.CodedSeconds = coded, time.Since(t0).Seconds()
	// Statistics for the planner, as autovacuum would soon give them.
	if _, err := e.pool.Exec(ctx, "ANALYZE cases"); err != nil {
		return nil, fmt.Errorf("analyze cases: %w", err)
	}
	logf("creating %d full cases through CreateCase, %d at a time", cfg.FullCases, cfg.Concurrency)
	t0 = time.Now()
	if e.full, err = seedFull(ctx, e, cfg.FullCases, cfg.Concurrency, logf); err != nil {
		return nil, err
	}
	rep.Seed.FullCases, rep.Seed.FullSeconds = cfg.FullCases, time.Since(t0).Seconds()
	rep.Seed.FullPerSecond = float64(cfg.FullCases) / rep.Seed.FullSeconds
	t0 = time.Now()
	if err := analyze(ctx, e.pool); err != nil {
		return nil, err
	}
	rep.Seed.AnalyzeSeconds = time.Since(t0).Seconds()
	logf("seeded %d cases (%d full) in %.1fs", cfg.Cases, cfg.FullCases, rep.Seed.CodedSeconds+rep.Seed.FullSeconds+rep.Seed.AnalyzeSeconds)

	run := func(name string, f func() Result) {
		if !cfg.selected(name) || ctx.Err() != nil {
			return
		}
		logf("running %s", name)
		res := f()
		logf("  %s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors", name, res.RPS, res.P50Ms, res.P99Ms, res.Errors)
		rep.Results = append(rep.Results, res)
	}
	closed := func(name string, f op) func() Result {
		return func() Result {
			return runClosed(ctx, name, cfg.Concurrency, cfg.Warmup, cfg.Duration, wt, f)
		}
	}

	lim, closeLimits, err := newLimits(ctx, e, dbURL, cfg.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("prepare the limits: %w", err)
	}
	defer closeLimits()
	e.lim = lim

	run(WTransportLimit, closed(WTransportLimit, e.transportLimit))
	run(WLimitRead, closed(WLimitRead, e.limitRead))
	run(WLimitReadAudit, closed(WLimitReadAudit, e.limitReadAudit))
	run(WLimitReadAuditGrouped, closed(WLimitReadAuditGrouped, e.limitReadAuditGrouped))
	auditBefore := e.auditEvents(ctx)
	// profiled keeps the server's profiles of a workload's window.
	profiled := func(prefix string, f func() Result) func() Result {
		return func() Result {
			if cfg.ProfileDir != "" && srv.admin != "" {
				done := profileWindow(ctx, srv.admin, cfg.ProfileDir, prefix, time.Now().Add(cfg.Warmup), cfg.Duration)
				defer func() {
					if err := <-done; err != nil {
						rep.Notes = append(rep.Notes, fmt.Sprintf("server profiles of %s incomplete: %v", prefix, err))
					}
				}()
			}
			return f()
		}
	}
	run(WGetCase, profiled("getcase", func() Result {
		if cfg.CPUProfile != "" {
			stopProfile, err := startCPUProfile(cfg.CPUProfile)
			if err != nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("no CPU profile: %v", err))
			} else {
				defer stopProfile()
			}
		}
		return runClosed(ctx, WGetCase, cfg.Concurrency, cfg.Warmup, cfg.Duration, wt, e.getCase)
	}))
	if g := rep.Result(WGetCase); g != nil && g.Calls > 0 && auditBefore >= 0 {
		getCaseCalls := g.Calls
		if after := e.auditEvents(ctx); after >= 0 {
			v := float64(after-auditBefore) / float64(getCaseCalls)
			rep.AuditEventsPerGetCase = &v
			if v < 0.99 {
				rep.Notes = append(rep.Notes, fmt.Sprintf("GetCase wrote %.2f audit events per call: reads are not (all) audited in this server build, so GetCase's figures leave out the audit's cost", v))
			}
		}
	}
	run(WGetCaseHalf, func() Result {
		peak := rep.Result(WGetCase)
		if peak == nil || peak.RPS <= 0 {
			return Result{Name: WGetCaseHalf, Kind: "open", ErrorSamples: []string{"GetCase had no measured rate"}}
		}
		return runOpen(ctx, WGetCaseHalf, cfg.Concurrency, peak.RPS*cfg.HalfRate, cfg.Warmup, cfg.Duration, wt, e.getCase)
	})
	run(WLimitPage, closed(WLimitPage, e.limitPage))
	run(WListCases, profiled("listcases", closed(WListCases, e.listCases)))
	run(WUpdateCase, closed(WUpdateCase, e.updateCase))
	run(WCountCases, closed(WCountCases, e.countCases))
	run(WCountCasesSolo, func() Result {
		return runSolo(ctx, WCountCasesSolo, 9, cfg.Duration, wt, e.countCases)
	})
	run(WLimitCreate, closed(WLimitCreate, e.limitCreate))
	if err := e.removeLimitCases(ctx); err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("remove limit 3's cases: %w", err)
	}
	run(WCreateCase, profiled("createcase", closed(WCreateCase, e.createCaseOp)))
	run(WReferral, closed(WReferral, e.referral))
	if cfg.wantsWeb() && ctx.Err() == nil {
		w, stopWeb, err := startWeb(ctx, e, srv.addr, dataDir, cfg.Concurrency)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("web client not measured: %v", err))
		} else {
			run(WWebCaseListGRPC, closed(WWebCaseListGRPC, w.caseListGRPC))
			run(WWebCaseList, closed(WWebCaseList, w.caseList))
			run(WWebCaseViewGRPC, closed(WWebCaseViewGRPC, w.caseViewGRPC))
			run(WWebCaseView, closed(WWebCaseView, w.caseView))
			stopWeb()
		}
	}
	if cfg.wantsNoisy() && ctx.Err() == nil {
		results, notes, err := runNoisy(ctx, &cfg, e, dbURL, dataDir, logf)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("noisy neighbour not measured: %v", err))
		}
		rep.Results = append(rep.Results, results...)
		rep.Notes = append(rep.Notes, notes...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	_ = e.pool.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&rep.Seed.CasesAtEnd)
	var size int64
	if e.pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&size) == nil {
		rep.Seed.DatabaseSizeMB = mb(uint64(size))
	}
	srv.mem.finish()
	peak := srv.mem.overallPeak()
	if hwm := srv.hwm(); hwm > peak {
		peak = hwm
	}
	rep.ServerPeakMB = mb(peak)
	if srv.pid == 0 {
		rep.Notes = append(rep.Notes, "the server ran in the harness's process: its memory includes the harness's")
	}
	rep.Machine.LoadAvgEnd = loadAvg()
	var disturbed []string
	for _, r := range rep.Results {
		if r.CPU != nil && r.CPU.OtherCores > 0.25 {
			disturbed = append(disturbed, fmt.Sprintf("%s (%.2f cores)", r.Name, r.CPU.OtherCores))
		}
	}
	if len(disturbed) > 0 {
		rep.Notes = append(rep.Notes, "other processes on this machine took CPU during: "+strings.Join(disturbed, ", ")+
			"; those rates and latencies are low and noisy, the CPU per call less so")
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("server, PostgreSQL and harness share this machine's %d cores: every figure includes the harness's own CPU use", rep.Machine.Cores))
	rep.Finished = time.Now().UTC().Format(time.RFC3339)
	rep.finish()
	if cfg.FastDatabaseURL != "" && ctx.Err() == nil {
		// The second column: the write-bound workloads again, on a cluster
		// without fsync, in a pass of their own (its own server and data).
		fcfg := cfg
		fcfg.DatabaseURL, fcfg.FastDatabaseURL = cfg.FastDatabaseURL, ""
		fcfg.FreshDatabase, fcfg.DataDir = true, ""
		fcfg.Workloads = []string{"getcase", "createcase"}
		fcfg.CPUProfile, fcfg.ProfileDir = "", ""
		logf("second pass on the fsync-off cluster")
		fast, err := Run(ctx, fcfg)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("no fsync-off pass: %v", err))
		} else {
			rep.mergeFast(fast)
		}
	}
	logf("done in %.0fs", time.Since(began).Seconds())
	return rep, nil
}

// newEnv connects to the server (or round-robin to every replica in
// addrs) and the database and mints the tokens.
func newEnv(ctx context.Context, cfg *Config, addrs []string, dbURL, dataDir string) (*env, func(), error) {
	issuer, err := authn.LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("dev token issuer: %w", err)
	}
	ttl := 2*time.Hour + 20*(cfg.Duration+cfg.Warmup)
	tokens := map[string]string{}
	for _, sub := range []string{caseworker, lawyer, coordinator, otherCaseworker} {
		if tokens[sub], err = issuer.Mint(sub, ttl); err != nil {
			return nil, nil, fmt.Errorf("mint token for %s: %w", sub, err)
		}
	}
	conn, counter, err := dial(addrs)
	if err != nil {
		return nil, nil, err
	}
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		conn.Close()
		return nil, nil, errors.New("parse database url: invalid connection string")
	}
	pcfg.MaxConns = int32(cfg.Concurrency)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	mcfg := pcfg.Copy()
	mcfg.MaxConns = 2
	meta, err := pgxpool.NewWithConfig(ctx, mcfg)
	if err != nil {
		conn.Close()
		pool.Close()
		return nil, nil, err
	}
	e := &env{
		meta:      meta,
		conn:      conn,
		cases:     casebridgev1.NewCaseServiceClient(conn),
		referrals: casebridgev1.NewReferralServiceClient(conn),
		stats:     casebridgev1.NewStatsServiceClient(conn),
		health:    healthpb.NewHealthClient(conn),
		pool:      pool,
		tokens:    tokens,
		replicas:  counter,
	}
	return e, func() { conn.Close(); pool.Close(); meta.Close() }, nil
}

// durability says how the cluster commits.
func durability(ctx context.Context, pool *pgxpool.Pool) string {
	var fsync, sc, fpw string
	err := pool.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')`).Scan(&fsync, &sc, &fpw)
	if err != nil {
		return ""
	}
	return "fsync=" + fsync + ", synchronous_commit=" + sc + ", full_page_writes=" + fpw
}

// startCPUProfile profiles this process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// auditEvents counts the audit log's rows, -1 when it cannot.
func (e *env) auditEvents(ctx context.Context) int64 {
	var n int64
	if err := e.meta.QueryRow(ctx, "SELECT count(*) FROM audit_events").Scan(&n); err != nil {
		return -1
	}
	return n
}
