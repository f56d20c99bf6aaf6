package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is one harness run: where it ran, what was seeded, every
// workload's figures and the targets. It is written as JSON so that two
// runs can be compared (see Compare).
type Report struct {
	Machine  Machine  `json:"machine"`
	Settings Settings `json:"settings"`
	Seed     Seed     `json:"seed"`
	Results  []Result `json:"results"`
	// TransportLimitRPS is the gRPC health check's rate: the transport's
	// ceiling on this machine.
	TransportLimitRPS float64 `json:"transport_limit_rps"`
	// Durability is how the cluster commits (fsync, synchronous_commit,
	// full_page_writes): the limits and every write depend on it.
	Durability string `json:"durability,omitempty"`
	// FastDurability is the second cluster's, when a second pass ran on
	// one without fsync (its figures are the Fast* fields of the results).
	FastDurability string `json:"fast_durability,omitempty"`
	// Server memory: the peak over the whole run, and how it was measured.
	ServerPeakMB       float64 `json:"server_peak_mb"`
	ServerMemoryMethod string  `json:"server_memory_method"`
	// AuditEventsPerGetCase is how many audit_events rows each GetCase
	// call added (1 when reads are audited, 0 when they are not).
	AuditEventsPerGetCase *float64 `json:"audit_events_per_getcase,omitempty"`
	Targets               []Target `json:"targets"`
	Notes                 []string `json:"notes,omitempty"`
	Started               string   `json:"started"`
	Finished              string   `json:"finished"`
}

// Machine identifies where a run happened.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	MemTotalMB int    `json:"mem_total_mb,omitempty"`
	Kernel     string `json:"kernel,omitempty"`
	Hostname   string `json:"hostname,omitempty"`
	GoVersion  string `json:"go_version"`
	OSArch     string `json:"os_arch"`
	PostgreSQL string `json:"postgresql,omitempty"`
	Time       string `json:"time"`
	// LoadAvg* are the 1-minute load averages when the run began and ended.
	LoadAvgStart string `json:"loadavg_start,omitempty"`
	LoadAvgEnd   string `json:"loadavg_end,omitempty"`
}

// Settings are the knobs of the run.
type Settings struct {
	Cases           int     `json:"cases"`
	FullCases       int     `json:"full_cases"`
	DurationSeconds float64 `json:"duration_seconds"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	Concurrency     int     `json:"concurrency"`
	HalfRate        float64 `json:"half_rate"`
	ServerMode      string  `json:"server_mode"`
	// Replicas is how many servers shared the load (--replicas).
	Replicas       int    `json:"replicas,omitempty"`
	ServerLogLevel string `json:"server_log_level"`
}

// Seed says how the data was made and how long it took.
type Seed struct {
	CodedCases     int     `json:"coded_cases"`
	CodedSeconds   float64 `json:"coded_seconds"`
	FullCases      int     `json:"full_cases"`
	FullSeconds    float64 `json:"full_seconds"`
	FullPerSecond  float64 `json:"full_per_second"`
	CasesAtEnd     int64   `json:"cases_at_end"`
	DatabaseSizeMB float64 `json:"database_size_mb"`
	AnalyzeSeconds float64 `json:"analyze_seconds"`
}

// Result is one workload's figures.
type Result struct {
	Name        string  `json:"name"`
	Kind        string  `json:"kind"` // closed (fixed concurrency), open (fixed rate), solo (one caller)
	Concurrency int     `json:"concurrency"`
	TargetRPS   float64 `json:"target_rps,omitempty"` // open loop only
	Seconds     float64 `json:"seconds"`
	Requests    int64   `json:"requests"` // measured successful calls
	Calls       int64   `json:"calls"`    // every call made, warm-up and errors included
	Errors      int64   `json:"errors"`
	RPS         float64 `json:"rps"`
	P50Ms       float64 `json:"p50_ms"`
	P95Ms       float64 `json:"p95_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	// ServiceP99Ms (open loop only) leaves out the time a call waited for
	// a free client worker: the latencies above count from when it was due.
	ServiceP99Ms float64 `json:"service_p99_ms,omitempty"`
	// Limit names the limit this workload belongs to (see limitOf), and
	// VsLimit is RPS divided by that limit's RPS; VsTransport is RPS
	// divided by the gRPC health check's.
	Limit        string  `json:"limit,omitempty"`
	VsLimit      float64 `json:"vs_limit,omitempty"`
	VsTransport  float64 `json:"vs_transport_limit"`
	ServerPeakMB float64 `json:"server_peak_mb"`
	CPU          *CPUUse `json:"cpu,omitempty"`
	// ServerAllocKBPerOp and ServerAllocsPerOp are the server's heap
	// allocation per call (its Go runtime's counters; subprocess only).
	ServerAllocKBPerOp float64 `json:"server_alloc_kb_per_op,omitempty"`
	ServerAllocsPerOp  float64 `json:"server_allocs_per_op,omitempty"`
	// Fast* are the same workload's figures in the second pass, on a
	// cluster without fsync (see Report.FastDurability), when it ran.
	FastRPS      float64  `json:"fast_rps,omitempty"`
	FastP99Ms    float64  `json:"fast_p99_ms,omitempty"`
	FastVsLimit  float64  `json:"fast_vs_limit,omitempty"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Replicas is each replica's share of the window (--replicas > 1).
	Replicas []ReplicaUse `json:"replicas,omitempty"`
}

// CPUUse is where the machine's CPU went during a workload's measured
// window, in cores (1.0 = one core busy throughout), and the CPU time per
// call. On a small shared machine the per-call CPU is the steadier figure;
// OtherCores is what processes outside the run took (tests, builds, other
// benchmarks): a run where it is high was disturbed.
type CPUUse struct {
	MachineCores    float64 `json:"machine_cores"`
	ServerCores     float64 `json:"server_cores,omitempty"`
	PostgresCores   float64 `json:"postgres_cores"`
	HarnessCores    float64 `json:"harness_cores"`
	OtherCores      float64 `json:"other_cores"`
	ServerUsPerOp   float64 `json:"server_us_per_op,omitempty"`
	PostgresUsPerOp float64 `json:"postgres_us_per_op"`
	// HarnessUsPerOp is set instead of ServerUsPerOp when the server runs
	// in the harness's process: it is then server and client together.
	HarnessUsPerOp float64 `json:"harness_us_per_op,omitempty"`
}

// Target is one of the goals the figures are held against. The harness
// reports them; it does not fail on them.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Status   string `json:"status"` // pass, miss, n/a
}

// Result returns the result called name, or nil.
func (r *Report) Result(name string) *Result {
	for i := range r.Results {
		if r.Results[i].Name == name {
			return &r.Results[i]
		}
	}
	return nil
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON reads a report WriteJSON wrote.
func ReadJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// finish computes the ratios to the limits and the targets.
func (r *Report) finish() {
	r.ratios()
	r.Targets = r.targets()
}

// ratios divides each workload's rate by its limit's and the transport's.
func (r *Report) ratios() {
	if l := r.Result(WTransportLimit); l != nil {
		r.TransportLimitRPS = l.RPS
	}
	for i := range r.Results {
		res := &r.Results[i]
		if r.TransportLimitRPS > 0 {
			res.VsTransport = res.RPS / r.TransportLimitRPS
		}
		res.Limit = limitOf[res.Name]
		if isLimit(res.Name) {
			res.Limit = res.Name
		}
		if l := r.Result(res.Limit); l != nil && l.RPS > 0 {
			res.VsLimit = res.RPS / l.RPS
		}
	}
}

// mergeFast copies the second pass's figures into r's results.
func (r *Report) mergeFast(fast *Report) {
	r.FastDurability = fast.Durability
	for i := range r.Results {
		if f := fast.Result(r.Results[i].Name); f != nil {
			r.Results[i].FastRPS, r.Results[i].FastP99Ms, r.Results[i].FastVsLimit = f.RPS, f.P99Ms, f.VsLimit
		}
	}
}

func passMiss(ok bool) string {
	if ok {
		return "pass"
	}
	return "miss"
}

func (r *Report) targets() []Target {
	var ts []Target
	add := func(name, goal string, measure func() (string, string)) {
		t := Target{Name: name, Goal: goal, Measured: "not measured", Status: "n/a"}
		if m, st := measure(); m != "" {
			t.Measured, t.Status = m, st
		}
		ts = append(ts, t)
	}
	vsLimit := func(workload string, goal float64) func() (string, string) {
		return func() (string, string) {
			g, l := r.Result(workload), r.Result(limitOf[workload])
			if g == nil || l == nil || l.RPS <= 0 {
				return "", ""
			}
			return fmt.Sprintf("%.0f/s = %.0f%% of %.0f/s", g.RPS, 100*g.VsLimit, l.RPS), passMiss(g.VsLimit >= goal && g.Errors == 0)
		}
	}
	add("GetCase throughput (authn, authz, decryption, audit)", "≥ 70% of limit 2g (select + grouped audit commit)", vsLimit(WGetCase, 0.70))
	add("GetCase p99 at full load", "≤ 20 ms", func() (string, string) {
		g := r.Result(WGetCase)
		if g == nil {
			return "", ""
		}
		return fmt.Sprintf("%.2f ms at %.0f/s", g.P99Ms, g.RPS), passMiss(g.P99Ms <= 20 && g.Errors == 0)
	})
	add("GetCase p99 at half its max rate (open loop)", "≤ 10 ms", func() (string, string) {
		g := r.Result(WGetCaseHalf)
		if g == nil {
			return "", ""
		}
		return fmt.Sprintf("%.2f ms at %.0f/s", g.P99Ms, g.TargetRPS), passMiss(g.P99Ms <= 10 && g.Errors == 0)
	})
	add("Server CPU per GetCase", "≤ 150 µs", func() (string, string) {
		g := r.Result(WGetCase)
		if g == nil || g.CPU == nil || g.CPU.ServerUsPerOp == 0 {
			return "", ""
		}
		m := fmt.Sprintf("%.0f µs", g.CPU.ServerUsPerOp)
		if g.ServerAllocKBPerOp > 0 {
			m += fmt.Sprintf(" (allocating %.1f KB in %.0f objects per call)", g.ServerAllocKBPerOp, g.ServerAllocsPerOp)
		}
		return m, passMiss(g.CPU.ServerUsPerOp <= 150)
	})
	add("CreateCase throughput", "≥ 60% of limit 3 (its writes in one tx)", vsLimit(WCreateCase, 0.60))
	add("ListCases (50 rows, basic view)", "≥ 50% of limit 4 (the keyset page select)", vsLimit(WListCases, 0.50))
	add("CountCases over 1,000,000 cases (one caller)", "< 1 s", func() (string, string) {
		g := r.Result(WCountCasesSolo)
		if g == nil {
			return "", ""
		}
		m := fmt.Sprintf("p50 %.0f ms, max %.0f ms over %s cases", g.P50Ms, g.MaxMs, thousands(r.Seed.CasesAtEnd))
		if r.Seed.CasesAtEnd < 1_000_000 {
			return m + " (run with -cases 1000000, `make bench BENCH_1M=1`)", "n/a"
		}
		return m, passMiss(g.MaxMs < 1000 && g.Errors == 0)
	})
	add("Server memory at 1,000,000 cases", "< 200 MB", func() (string, string) {
		if r.ServerPeakMB == 0 {
			return "", ""
		}
		m := fmt.Sprintf("peak %.0f MB at %s cases", r.ServerPeakMB, thousands(int64(r.Settings.Cases)))
		if r.Settings.Cases < 1_000_000 {
			return m + " (under 200 MB: " + passMiss(r.ServerPeakMB < 200) + " at this size; run with -cases 1000000)", "n/a"
		}
		return m, passMiss(r.ServerPeakMB < 200)
	})
	if quiet := r.Result(WNoisyQuiet); quiet != nil && quiet.P99Ms > 0 {
		for _, res := range r.Results {
			during, ok := strings.CutPrefix(res.Name, noisyBystander)
			if !ok {
				continue
			}
			ratio := res.P99Ms / quiet.P99Ms
			ts = append(ts, Target{
				Name:     "Bystander GetCase p99 during " + during,
				Goal:     "≤ 3× alone",
				Measured: fmt.Sprintf("%.2f ms vs %.2f ms alone (%.1f×), %d errors", res.P99Ms, quiet.P99Ms, ratio, res.Errors),
				Status:   passMiss(ratio <= 3 && res.Errors == 0),
			})
		}
	}
	return ts
}

// Markdown renders the report as Markdown tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Casebridge load harness\n\n")
	fmt.Fprintf(&b, "machine: %s\n\n", r.Machine.Line())
	fmt.Fprintf(&b, "run: %s cases (%s with all four classes via CreateCase), %d concurrent callers, %s per workload (+%s warm-up); server %s\n\n",
		thousands(int64(r.Settings.Cases)), thousands(int64(r.Settings.FullCases)), r.Settings.Concurrency,
		secs(r.Settings.DurationSeconds), secs(r.Settings.WarmupSeconds), r.Settings.ServerMode)
	cpuCol := "server CPU µs/call"
	if r.Settings.ServerMode != "" && !strings.HasPrefix(r.Settings.ServerMode, "subprocess") {
		cpuCol = "server+harness CPU µs/call"
	}
	fmt.Fprintf(&b, "PostgreSQL: %s\n\n", orDash(r.Durability))
	fastCols, fastSep := "", ""
	if r.FastDurability != "" {
		fastCols, fastSep = " rps, fsync off | p99 ms, fsync off | rps / its limit, fsync off |", "---:|---:|---:|"
	}
	fmt.Fprintf(&b, "| workload | conc | rps | p50 ms | p95 ms | p99 ms | errors | rps / its limit | %s | PostgreSQL CPU µs/call | server alloc KB/call | server allocs/call | server peak MB | other load (cores) |%s\n", cpuCol, fastCols)
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", fastSep)
	for _, res := range r.Results {
		conc := fmt.Sprint(res.Concurrency)
		if res.Kind == "open" {
			conc = fmt.Sprintf("%d (open loop at %.0f/s)", res.Concurrency, res.TargetRPS)
		}
		srvCPU, pgCPU, other := "—", "—", "—"
		if c := res.CPU; c != nil {
			srvCPU = fmt.Sprintf("%.0f", c.ServerUsPerOp+c.HarnessUsPerOp)
			pgCPU = fmt.Sprintf("%.0f", c.PostgresUsPerOp)
			other = fmt.Sprintf("%.2f", c.OtherCores)
		}
		alloc, allocs := "—", "—"
		if res.ServerAllocsPerOp > 0 {
			alloc, allocs = fmt.Sprintf("%.1f", res.ServerAllocKBPerOp), fmt.Sprintf("%.0f", res.ServerAllocsPerOp)
		}
		vsLimit := "—"
		if res.Limit != "" && res.Limit != res.Name {
			vsLimit = ratio(res.VsLimit) + " of " + shortLimit(res.Limit)
		}
		fast := ""
		if r.FastDurability != "" {
			if res.FastRPS > 0 {
				fv := "—"
				if res.Limit != "" && res.Limit != res.Name {
					fv = ratio(res.FastVsLimit)
				}
				fast = fmt.Sprintf(" %.0f | %.2f | %s |", res.FastRPS, res.FastP99Ms, fv)
			} else {
				fast = " — | — | — |"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %s | %s | %s | %s | %s | %.0f | %s |%s\n",
			res.Name, conc, res.RPS, res.P50Ms, res.P95Ms, res.P99Ms, res.Errors,
			vsLimit, srvCPU, pgCPU, alloc, allocs, res.ServerPeakMB, other, fast)
	}
	r.replicaMarkdown(&b)
	fmt.Fprintf(&b, "\nlimits: measured with pgx on the same database and cluster in this run, %d connections; the read events of limits 2 and 2g commit synchronously, as the server's do. Transport ceiling (gRPC health check, same server and connection): %.0f/s\n",
		r.Settings.Concurrency, r.TransportLimitRPS)
	if r.FastDurability != "" {
		fmt.Fprintf(&b, "fsync off columns: a second pass of the same workloads on another cluster (%s), for comparison only: no one should run PostgreSQL so\n", r.FastDurability)
	}
	for _, res := range r.Results {
		if res.Kind == "open" {
			fmt.Fprintf(&b, "open loop: %s latencies count from when each call was due (%.0f/s, evenly spaced); p99 from the actual send: %.2f ms\n",
				res.Name, res.TargetRPS, res.ServiceP99Ms)
		}
	}
	fmt.Fprintf(&b, "server memory: peak %.0f MB — %s\n", r.ServerPeakMB, r.ServerMemoryMethod)
	fmt.Fprintf(&b, "seeding: %s coded cases by SQL in %s; %s full cases via CreateCase in %s (%.0f/s); %s cases at the end, database %.0f MB\n",
		thousands(int64(r.Seed.CodedCases)), secs(r.Seed.CodedSeconds), thousands(int64(r.Seed.FullCases)),
		secs(r.Seed.FullSeconds), r.Seed.FullPerSecond, thousands(r.Seed.CasesAtEnd), r.Seed.DatabaseSizeMB)
	if r.AuditEventsPerGetCase != nil {
		fmt.Fprintf(&b, "audit: %.2f audit events per GetCase call\n", *r.AuditEventsPerGetCase)
	}
	fmt.Fprintf(&b, "\n| target | goal | measured | result |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | **%s** |\n", t.Name, t.Goal, t.Measured, t.Status)
	}
	var errs []string
	for _, res := range r.Results {
		for _, e := range res.ErrorSamples {
			errs = append(errs, fmt.Sprintf("- %s: %s", res.Name, e))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(&b, "\nerrors:\n%s\n", strings.Join(errs, "\n"))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(&b, "\nnotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// Line is the machine in one line.
func (m Machine) Line() string {
	parts := []string{fmt.Sprintf("%s, %d cores (GOMAXPROCS %d)", m.CPU, m.Cores, m.GOMAXPROCS)}
	if m.MemTotalMB > 0 {
		parts = append(parts, fmt.Sprintf("%d MB RAM", m.MemTotalMB))
	}
	parts = append(parts, m.GoVersion+" "+m.OSArch)
	if m.Kernel != "" {
		parts = append(parts, "Linux "+m.Kernel)
	}
	if m.PostgreSQL != "" {
		parts = append(parts, "PostgreSQL "+m.PostgreSQL)
	}
	if m.LoadAvgStart != "" {
		parts = append(parts, "load average "+m.LoadAvgStart+" at start, "+m.LoadAvgEnd+" at end")
	}
	parts = append(parts, m.Time)
	return strings.Join(parts, ", ")
}

// Compare renders the change from an earlier report to r.
func Compare(old, r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Compared with %s\n\nbefore: %s\nnow:    %s\n\n", old.Started, old.Machine.Line(), r.Machine.Line())
	fmt.Fprintf(&b, "| workload | rps before | rps now | change | p99 ms before | p99 ms now | CPU µs/call before | CPU µs/call now |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, res := range r.Results {
		o := old.Result(res.Name)
		if o == nil {
			fmt.Fprintf(&b, "| %s | — | %.0f | — | — | %.2f | — | %s |\n", res.Name, res.RPS, res.P99Ms, cpuPerOp(&res))
			continue
		}
		change := "—"
		if o.RPS > 0 {
			change = fmt.Sprintf("%+.1f%%", 100*(res.RPS/o.RPS-1))
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %s | %.2f | %.2f | %s | %s |\n", res.Name, o.RPS, res.RPS, change, o.P99Ms, res.P99Ms, cpuPerOp(o), cpuPerOp(&res))
	}
	fmt.Fprintf(&b, "\nserver peak memory: %.0f MB before, %.0f MB now\n", old.ServerPeakMB, r.ServerPeakMB)
	return b.String()
}

// cpuPerOp is the CPU time per call of the server (or of server and
// harness together, in-process) and PostgreSQL.
func cpuPerOp(r *Result) string {
	if r.CPU == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f", r.CPU.ServerUsPerOp+r.CPU.HarnessUsPerOp+r.CPU.PostgresUsPerOp)
}

// shortLimit is a limit's name up to its colon ("limit 2g").
func shortLimit(name string) string {
	short, _, _ := strings.Cut(name, ":")
	return short
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func ratio(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(100 * time.Millisecond).String()
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

// machineInfo describes this machine.
func machineInfo() Machine {
	m := Machine{
		Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH,
		Time: time.Now().UTC().Format(time.RFC3339),
	}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if m.CPU == "" {
		m.CPU = "unknown CPU"
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int
		if _, err := fmt.Sscanf(v, "%d", &kb); err == nil {
			m.MemTotalMB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Hostname, _ = os.Hostname()
	m.LoadAvgStart = loadAvg()
	return m
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
