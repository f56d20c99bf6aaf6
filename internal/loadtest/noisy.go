package loadtest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casebridge/casebridge/internal/limits"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The noisy-neighbour workload: a bystander of one organisation reads its
// cases at a steady rate on a server with the default limits, first alone
// and then while one hostile caller of elsewhere floods the server. The
// figure is the bystander's p99 under attack against its p99 alone (the
// goal: at most 3×).
const (
	WNoisyQuiet = "Noisy neighbour: bystander GetCase, quiet"
	noisyPrefix = "Noisy neighbour: "
	// noisyBystander starts the name of the bystander's row during an attack.
	noisyBystander = noisyPrefix + "bystander GetCase, during "

	// otherCaseworker is the attacker of another organisation.
	otherCaseworker = "caseworker@cso-c"
	// bystanderRate stays within one caller's default read rate.
	bystanderRate    = 40
	bystanderWorkers = 4
	attackers        = 16
)

// wantsNoisy reports a run that names the noisy-neighbour workload: it
// starts a second server and runs four passes, so it runs only when asked
// for (--workloads noisy).
func (c *Config) wantsNoisy() bool { return slices.Contains(c.Workloads, "noisy") }

// attack is one hostile caller's flood.
type attack struct {
	name string
	op   op
}

func (e *env) attacks() []attack {
	var importLine atomic.Int64
	return []attack{
		{fmt.Sprintf("CountCases ×%d (one coordinator)", attackers), e.countCases},
		{fmt.Sprintf("CreateCase ×%d (one caseworker of another organisation)", attackers), e.createFlood},
		{fmt.Sprintf("ImportCases ×%d streams of 1,000 rows (one caseworker of another organisation)", attackers),
			func(ctx context.Context, w *worker) error { return e.importFlood(ctx, &importLine) }},
	}
}

// minNoisyPass is the shortest pass of the noisy neighbour: at 40 calls a
// second the bystander's p99 is then its sixth slowest call of 600, not
// its second of 200, which one stall of the disk decides.
const minNoisyPass = 15 * time.Second

// runNoisy starts a second server with the default limits on the same
// database and runs the bystander alone and under each attack.
func runNoisy(ctx context.Context, cfg *Config, main *env, dbURL, dataDir string, logf func(string, ...any)) ([]Result, []string, error) {
	srv, err := startServerWith(ctx, cfg, dbURL, dataDir, limits.Defaults())
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = srv.stop() }()
	e, closeEnv, err := newEnv(ctx, cfg, []string{srv.addr}, dbURL, dataDir)
	if err != nil {
		return nil, nil, err
	}
	defer closeEnv()
	e.full = main.full
	// The attacker is another client: a connection of its own, as it
	// would be from another machine, so that what the bystander measures
	// is the server, not one HTTP/2 connection shared with the flood.
	hostileEnv, closeHostile, err := newEnv(ctx, cfg, []string{srv.addr}, dbURL, dataDir)
	if err != nil {
		return nil, nil, err
	}
	defer closeHostile()
	hostileEnv.full = main.full
	srv.mem.start()
	wt := &watch{mem: srv.mem, cpu: &cpuMeter{serverPID: srv.pid, pool: e.meta}, admin: srv.admin, ctx: ctx}
	pass := max(cfg.Duration, minNoisyPass)
	bystander := func(name string) Result {
		return runOpen(ctx, name, bystanderWorkers, bystanderRate, cfg.Warmup, pass, wt, e.getCase)
	}
	logf("noisy neighbour: the bystander alone")
	quiet := bystander(WNoisyQuiet)
	results := []Result{quiet}
	var notes []string
	for _, a := range hostileEnv.attacks() {
		if ctx.Err() != nil {
			break
		}
		logf("noisy neighbour: during %s", a.name)
		var hostile Result
		var wg sync.WaitGroup
		if cfg.ProfileDir != "" && srv.admin != "" {
			// Where the server's goroutines wait during the attack: three
			// goroutine profiles in the measured window.
			n := len(results)
			wg.Go(func() {
				time.Sleep(cfg.Warmup)
				for k := range 3 {
					time.Sleep(pass / 4)
					_ = fetchProfile(ctx, srv.admin, "goroutine", "?debug=1",
						filepath.Join(cfg.ProfileDir, fmt.Sprintf("noisy-%d-goroutines-%d.txt", n, k)))
				}
			})
		}
		wg.Go(func() {
			hostile = runClosed(ctx, noisyPrefix+"attacker "+a.name, attackers, cfg.Warmup, pass, nil, a.op)
		})
		by := bystander(noisyBystander + a.name)
		wg.Wait()
		results = append(results, by, hostile)
		ratio := 0.0
		if quiet.P99Ms > 0 {
			ratio = by.P99Ms / quiet.P99Ms
		}
		verdict := "pass"
		if ratio > 3 || by.Errors > 0 {
			verdict = "MISS"
		}
		cpu := ""
		if c := by.CPU; c != nil {
			// Where the bystander's time went when it was not the server's:
			// a machine with no core left queues every call.
			cpu = fmt.Sprintf("; the machine was %.2f of %d cores busy (server %.2f, PostgreSQL %.2f, this harness with the attacker's client %.2f, other processes %.2f)",
				c.MachineCores, runtime.NumCPU(), c.ServerCores, c.PostgresCores, c.HarnessCores, c.OtherCores)
		}
		notes = append(notes, fmt.Sprintf("noisy neighbour, %s: bystander p99 %.2f ms vs %.2f ms alone (%.1f×, goal ≤ 3×: %s), %d bystander errors; the attacker got %.0f/s through and %d refusals%s",
			a.name, by.P99Ms, quiet.P99Ms, ratio, verdict, by.Errors, hostile.RPS, hostile.Errors, cpu))
	}
	return results, notes, nil
}

// createFlood creates cases with every class as a caseworker of another
// organisation.
func (e *env) createFlood(ctx context.Context, w *worker) error {
	_, err := e.cases.CreateCase(e.as(ctx, otherCaseworker), &casebridgev1.CreateCaseRequest{Case: newCase(w.rng)})
	return err
}

// importFlood streams 1,000 rows of coded attributes, each line new.
func (e *env) importFlood(ctx context.Context, line *atomic.Int64) error {
	stream, err := e.cases.ImportCases(e.as(ctx, otherCaseworker))
	if err != nil {
		return err
	}
	if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{
		Header: &casebridgev1.ImportHeader{Source: "noisy-neighbour.csv"}}}); err != nil {
		return err
	}
	for range 1000 {
		row := &casebridgev1.ImportRow{Line: line.Add(1), Coded: &casebridgev1.CodedAttributes{}}
		if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: row}}); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
	}
	_, err = stream.CloseAndRecv()
	return err
}
