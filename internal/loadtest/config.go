// Package loadtest is Casebridge's load harness: it starts a real server
// (casebridged as a subprocess, or server.New in this process) on a real
// PostgreSQL database, seeds it with cases, mints real tokens and drives
// mixed workloads over gRPC for a fixed time at a fixed concurrency. Every
// figure is reported next to the limit it belongs to, measured with pgx in
// the same run on the same data and cluster (see limits.go): what GetCase
// must read, that read plus its audit write (per call, and committed in
// groups as the audit writer does), CreateCase's writes in one
// transaction, ListCases's keyset page. The gRPC health check on the same
// server is reported too, as the transport's ceiling.
//
// cmd/loadharness wires it to flags; `make bench` runs it.
package loadtest

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Workload names, as accepted by Config.Workloads and shown in reports.
const (
	WTransportLimit = "gRPC health (transport ceiling)"
	WGetCase        = "GetCase"
	WGetCaseHalf    = "GetCase at 50% of max (open loop)"
	WListCases      = "ListCases"
	WUpdateCase     = "UpdateCase"
	WCountCases     = "CountCases"
	WCountCasesSolo = "CountCases (1 caller)"
	WCreateCase     = "CreateCase"
	WReferral       = "Referral flow"
)

// workloadKeys maps the short names of --workloads to workloads. The
// limits always run: the other figures are reported against them.
var workloadKeys = map[string][]string{
	"getcase":    {WGetCase, WGetCaseHalf},
	"listcases":  {WListCases},
	"updatecase": {WUpdateCase},
	"countcases": {WCountCases, WCountCasesSolo},
	"createcase": {WCreateCase},
	"referral":   {WReferral},
	"noisy":      {WNoisyQuiet},
	"web":        {WWebCaseList, WWebCaseListGRPC, WWebCaseView, WWebCaseViewGRPC},
}

// Config is one harness run.
type Config struct {
	// DatabaseURL is a PostgreSQL server to run on. With FreshDatabase the
	// harness creates a database of its own there and drops it afterwards;
	// otherwise it uses this database as it is (it must be empty: the
	// server seeds its demo world into it).
	DatabaseURL string
	// FastDatabaseURL, when set, is a second PostgreSQL server started
	// without fsync: GetCase, CreateCase and their limits run again there
	// (on a fresh database) for the report's "fsync off" columns.
	FastDatabaseURL string
	FreshDatabase   bool
	KeepDatabase    bool

	// ServerBin is a casebridged binary to run as a subprocess; empty runs
	// the server in this process (server.New).
	ServerBin      string
	ServerLogLevel string
	// Replicas is how many servers run on the database, sharing its data
	// directory; calls go to them round-robin (replicas.go).
	Replicas int
	// DataDir is the dev-mode data directory (token key, organisation
	// keys); empty means a temporary directory.
	DataDir string

	Cases       int // total cases seeded
	FullCases   int // of which created through CreateCase with all four classes
	Duration    time.Duration
	Warmup      time.Duration
	Concurrency int
	// HalfRate is the fraction of GetCase's measured maximum rate at which
	// the open-loop pass runs (0.5).
	HalfRate  float64
	Workloads []string // short names; empty means all
	// CPUProfile, when set, is where the CPU profile of this process
	// during the GetCase workload is written (with the server in-process
	// it shows the server's frames).
	CPUProfile string
	// ProfileDir, when set, receives the server's own pprof profiles of
	// the GetCase workload, from its admin listener: a CPU profile of the
	// measured window and heap (allocation) profiles at its start and end.
	ProfileDir string

	Log io.Writer // progress lines; nil discards them
}

// DefaultConfig is what `make bench` runs.
func DefaultConfig() Config {
	return Config{
		FreshDatabase:  true,
		ServerLogLevel: "info",
		Replicas:       1,
		Cases:          100_000,
		FullCases:      10_000,
		Duration:       10 * time.Second,
		Warmup:         2 * time.Second,
		Concurrency:    16,
		HalfRate:       0.5,
	}
}

// RegisterFlags declares the harness flags on fs, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL server to run on (default $DATABASE_URL)")
	fs.StringVar(&c.FastDatabaseURL, "fast-database-url", c.FastDatabaseURL, "a second PostgreSQL server, started with fsync off, for a labelled second pass of GetCase, CreateCase and their limits (default $FAST_DATABASE_URL; empty: no second pass)")
	fs.BoolVar(&c.FreshDatabase, "fresh-db", c.FreshDatabase, "create a database of the harness's own on that server (dropped afterwards); false uses the URL's database as is")
	fs.BoolVar(&c.KeepDatabase, "keep-db", c.KeepDatabase, "keep the fresh database after the run")
	fs.StringVar(&c.ServerBin, "server-bin", c.ServerBin, "casebridged binary to run as a subprocess; empty runs the server in-process")
	fs.StringVar(&c.ServerLogLevel, "server-log-level", c.ServerLogLevel, "the server's --log-level (its log goes to a file in the data directory)")
	fs.IntVar(&c.Replicas, "replicas", c.Replicas, "servers to run on the one database and data directory, the calls sent to them round-robin; the report gives each replica's calls/s and CPU per call")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "dev-mode data directory of the server; empty means a temporary one")
	fs.IntVar(&c.Cases, "cases", c.Cases, "cases to seed in total (e.g. 1000000)")
	fs.IntVar(&c.FullCases, "full-cases", c.FullCases, "of those, cases created through CreateCase with all four sensitive classes (read by GetCase)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "measured time per workload")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "unmeasured time before each workload")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "concurrent callers per workload")
	fs.Float64Var(&c.HalfRate, "half-rate", c.HalfRate, "fraction of GetCase's maximum rate for the open-loop latency pass")
	fs.StringVar(&c.CPUProfile, "cpuprofile", c.CPUProfile, "write a CPU profile of this process during the GetCase workload to this file (with the server in-process, without -server-bin, it shows the server's frames and the harness's)")
	fs.StringVar(&c.ProfileDir, "profile-dir", c.ProfileDir, "write the server's pprof CPU profiles of the GetCase, ListCases and CreateCase windows and their allocation profiles at the window's start and end to this directory (compare with go tool pprof -sample_index=alloc_space -base getcase-allocs-start.pprof getcase-allocs-end.pprof)")
	fs.Func("workloads", "comma-separated subset of getcase,listcases,updatecase,countcases,createcase,referral, web (only when named: the web client's case list and case view beside their gRPC calls), and noisy (only when named: bystander GetCase under attack on a second server with the default limits; the two limits always run)", func(s string) error {
		c.Workloads = nil
		for _, w := range strings.Split(s, ",") {
			if w = strings.TrimSpace(strings.ToLower(w)); w != "" {
				c.Workloads = append(c.Workloads, w)
			}
		}
		return nil
	})
}

// Validate says what is wrong with c.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("a database URL is required (--database-url or DATABASE_URL); `make bench` starts a throwaway PostgreSQL"))
	}
	if c.Cases < 1 {
		errs = append(errs, errors.New("--cases must be positive"))
	}
	if c.FullCases < 1 || c.FullCases > c.Cases {
		errs = append(errs, fmt.Errorf("--full-cases must be between 1 and --cases (%d)", c.Cases))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("--duration must be positive"))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("--warmup must not be negative"))
	}
	if c.Replicas < 1 {
		errs = append(errs, errors.New("--replicas must be at least 1"))
	}
	if c.Concurrency < 1 {
		errs = append(errs, errors.New("--concurrency must be at least 1"))
	}
	if c.HalfRate <= 0 || c.HalfRate > 1 {
		errs = append(errs, errors.New("--half-rate must be in (0, 1]"))
	}
	for _, w := range c.Workloads {
		if _, ok := workloadKeys[w]; !ok {
			errs = append(errs, fmt.Errorf("--workloads: unknown workload %q", w))
		}
	}
	return errors.Join(errs...)
}

// isLimit reports whether name is one of the limits.
func isLimit(name string) bool {
	switch name {
	case WLimitRead, WLimitReadAudit, WLimitReadAuditGrouped, WLimitCreate, WLimitPage:
		return true
	}
	return false
}

// selected reports whether workload name runs.
func (c *Config) selected(name string) bool {
	if name == WTransportLimit || len(c.Workloads) == 0 {
		return true
	}
	if isLimit(name) {
		// A limit runs with the workloads measured against it.
		for w, l := range limitOf {
			if l == name && c.selected(w) {
				return true
			}
		}
		return (name == WLimitRead || name == WLimitReadAudit) && c.selected(WGetCase)
	}
	for _, w := range c.Workloads {
		for _, n := range workloadKeys[w] {
			if n == name {
				return true
			}
		}
	}
	return false
}
