package loadtest_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/loadtest"
	"github.com/casebridge/casebridge/internal/testdb"
)

// TestHarnessTiny runs the whole harness with tiny numbers against an
// in-process server on a fresh test database: every workload must run,
// with a rate and without errors, and the report must survive JSON.
func TestHarnessTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and every workload")
	}
	_, dbURL := testdb.NewWithURL(t)
	cfg := loadtest.DefaultConfig()
	cfg.DatabaseURL = dbURL
	cfg.FreshDatabase = false // testdb made it, and drops it
	cfg.ServerLogLevel = "warn"
	cfg.DataDir = t.TempDir()
	cfg.Cases, cfg.FullCases = 200, 50
	cfg.Duration, cfg.Warmup = 300*time.Millisecond, 50*time.Millisecond
	cfg.Concurrency = 2
	if testing.Verbose() {
		cfg.Log = testWriter{t}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		loadtest.WTransportLimit, loadtest.WLimitRead, loadtest.WLimitReadAudit, loadtest.WLimitReadAuditGrouped,
		loadtest.WLimitPage, loadtest.WLimitCreate,
		loadtest.WGetCase, loadtest.WGetCaseHalf,
		loadtest.WListCases, loadtest.WUpdateCase, loadtest.WCountCases, loadtest.WCountCasesSolo,
		loadtest.WCreateCase, loadtest.WReferral,
	}
	if len(rep.Results) != len(want) {
		t.Errorf("%d results, want %d", len(rep.Results), len(want))
	}
	for _, name := range want {
		r := rep.Result(name)
		if r == nil {
			t.Errorf("no result for %s", name)
			continue
		}
		if r.RPS <= 0 || r.Requests == 0 {
			t.Errorf("%s: %.1f/s over %d requests, want a rate", name, r.RPS, r.Requests)
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors: %v", name, r.Errors, r.ErrorSamples)
		}
		if r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
			t.Errorf("%s: p50 %.3f ms, p99 %.3f ms", name, r.P50Ms, r.P99Ms)
		}
		if r.VsTransport <= 0 {
			t.Errorf("%s: ratio to the transport ceiling %.3f", name, r.VsTransport)
		}
	}
	// Each workload with a limit is divided by that limit's rate.
	for _, name := range []string{loadtest.WGetCase, loadtest.WGetCaseHalf, loadtest.WListCases, loadtest.WCreateCase} {
		r := rep.Result(name)
		if r == nil || r.Limit == "" || r.VsLimit <= 0 {
			t.Errorf("%s: no ratio to its limit: %+v", name, r)
			continue
		}
		if l := rep.Result(r.Limit); l == nil || r.VsLimit != r.RPS/l.RPS {
			t.Errorf("%s: %.3f of %q, which ran at %+v", name, r.VsLimit, r.Limit, l)
		}
	}
	if rep.TransportLimitRPS <= 0 {
		t.Errorf("transport ceiling %.0f/s", rep.TransportLimitRPS)
	}
	if !strings.Contains(rep.Durability, "fsync=") {
		t.Errorf("durability not reported: %q", rep.Durability)
	}
	// The limit's cases are gone once it has run.
	if rep.Seed.CasesAtEnd < 200 {
		t.Errorf("%d cases at the end", rep.Seed.CasesAtEnd)
	}
	if rep.ServerPeakMB <= 0 {
		t.Errorf("server peak memory %.1f MB", rep.ServerPeakMB)
	}
	if rep.Seed.CasesAtEnd < 200 {
		t.Errorf("%d cases at the end, want at least 200", rep.Seed.CasesAtEnd)
	}
	if len(rep.Targets) != 8 {
		t.Errorf("%d targets, want 8: %+v", len(rep.Targets), rep.Targets)
	}
	if rep.Machine.CPU == "" || rep.Machine.Cores == 0 || rep.Machine.GoVersion == "" || rep.Machine.Time == "" {
		t.Errorf("machine info incomplete: %+v", rep.Machine)
	}

	md := rep.Markdown()
	for _, s := range append(want, "machine:", "| target |", "PostgreSQL: fsync=", "of limit 2g", "Transport ceiling") {
		if !strings.Contains(md, s) {
			t.Errorf("the Markdown report lacks %q:\n%s", s, md)
		}
	}

	path := filepath.Join(t.TempDir(), "bench-results.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	back, err := loadtest.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rep) {
		t.Errorf("the report changed through JSON:\nwrote %+v\nread  %+v", rep, back)
	}
	if cmp := loadtest.Compare(back, rep); !strings.Contains(cmp, loadtest.WGetCase) || !strings.Contains(cmp, "+0.0%") {
		t.Errorf("comparing a run with itself:\n%s", cmp)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestHarnessWebTiny: the web workloads render real pages with no errors,
// each beside its gRPC calls.
func TestHarnessWebTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server, the web client and the web workloads")
	}
	_, dbURL := testdb.NewWithURL(t)
	cfg := loadtest.DefaultConfig()
	cfg.DatabaseURL, cfg.FreshDatabase, cfg.ServerLogLevel, cfg.DataDir = dbURL, false, "warn", t.TempDir()
	cfg.Cases, cfg.FullCases = 300, 60
	cfg.Duration, cfg.Warmup, cfg.Concurrency = 300*time.Millisecond, 50*time.Millisecond, 2
	cfg.Workloads = []string{"web"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{loadtest.WWebCaseList, loadtest.WWebCaseListGRPC, loadtest.WWebCaseView, loadtest.WWebCaseViewGRPC} {
		r := rep.Result(name)
		if r == nil {
			t.Errorf("no result for %s (notes: %v)", name, rep.Notes)
			continue
		}
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors: %v", name, r.Requests, r.Errors, r.ErrorSamples)
		}
	}
}

// TestHarnessReplicasTiny: with --replicas 2 both servers, on one
// database and data directory, answer calls of every workload run
// (round-robin over one connection to each), the referral flow included,
// whose referrals are made through one replica and accepted through the
// other; and the report gives each replica's rate next to the total.
func TestHarnessReplicasTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers and workloads")
	}
	_, dbURL := testdb.NewWithURL(t)
	cfg := loadtest.DefaultConfig()
	cfg.DatabaseURL, cfg.FreshDatabase, cfg.ServerLogLevel, cfg.DataDir = dbURL, false, "warn", t.TempDir()
	cfg.Cases, cfg.FullCases = 200, 50
	cfg.Duration, cfg.Warmup, cfg.Concurrency = 300*time.Millisecond, 50*time.Millisecond, 4
	cfg.Replicas = 2
	cfg.Workloads = []string{"getcase", "referral"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Settings.Replicas != 2 {
		t.Errorf("report says %d replicas", rep.Settings.Replicas)
	}
	for _, name := range []string{loadtest.WTransportLimit, loadtest.WGetCase, loadtest.WReferral} {
		r := rep.Result(name)
		if r == nil {
			t.Errorf("no result for %s", name)
			continue
		}
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors: %v", name, r.Requests, r.Errors, r.ErrorSamples)
		}
		if len(r.Replicas) != 2 {
			t.Errorf("%s: %d replica shares, want 2: %+v", name, len(r.Replicas), r.Replicas)
			continue
		}
		var sum float64
		for _, u := range r.Replicas {
			if u.Calls == 0 || u.RPS <= 0 {
				t.Errorf("%s: replica %d (%s) answered %d calls (%.1f/s): the load is not spread", name, u.Replica, u.Addr, u.Calls, u.RPS)
			}
			sum += u.RPS
		}
		if r.Replicas[0].Addr == r.Replicas[1].Addr {
			t.Errorf("%s: both replicas at %s", name, r.Replicas[0].Addr)
		}
		t.Logf("%s: %.0f/s in total, replicas %.0f/s and %.0f/s", name, r.RPS, r.Replicas[0].RPS, r.Replicas[1].RPS)
	}
	md := rep.Markdown()
	for _, s := range []string{"replicas: 2 servers", "| replica 1 | replica 2 |"} {
		if !strings.Contains(md, s) {
			t.Errorf("the Markdown report lacks %q:\n%s", s, md)
		}
	}
}
