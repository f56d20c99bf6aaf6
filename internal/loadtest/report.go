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
	// Limits are the two rates every workload is divided by.
	StorageLimitRPS   float64 `json:"storage_limit_rps"`
	TransportLimitRPS float64 `json:"transport_limit_rps"`
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
	ServerLogLevel  string  `json:"server_log_level"`
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
	// VsStorage and VsTransport are RPS divided by the two limits.
	VsStorage    float64  `json:"vs_storage_limit"`
	VsTransport  float64  `json:"vs_transport_limit"`
	ServerPeakMB float64  `json:"server_peak_mb"`
	CPU          *CPUUse  `json:"cpu,omitempty"`
	ErrorSamples []string `json:"error_samples,omitempty"`
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
	if l := r.Result(WStorageLimit); l != nil {
		r.StorageLimitRPS = l.RPS
	}
	if l := r.Result(WTransportLimit); l != nil {
		r.TransportLimitRPS = l.RPS
	}
	for i := range r.Results {
		res := &r.Results[i]
		if r.StorageLimitRPS > 0 {
			res.VsStorage = res.RPS / r.StorageLimitRPS
		}
		if r.TransportLimitRPS > 0 {
			res.VsTransport = res.RPS / r.TransportLimitRPS
		}
	}
	r.Targets = r.targets()
}

func passMiss(ok bool) string {
	if ok {
		return "pass"
	}
	return "miss"
}

func (r *Report) targets() []Target {
	var ts []Target
	notMeasured := Target{Measured: "not measured", Status: "n/a"}
	t := Target{Name: "GetCase throughput (authn, authz, decryption, audit)", Goal: "≥ 40% of the storage limit's rps"}
	if g := r.Result(WGetCase); g != nil && r.StorageLimitRPS > 0 {
		t.Measured = fmt.Sprintf("%.0f/s = %.0f%% of %.0f/s", g.RPS, 100*g.VsStorage, r.StorageLimitRPS)
		t.Status = passMiss(g.VsStorage >= 0.40 && g.Errors == 0)
	} else {
		t.Measured, t.Status = notMeasured.Measured, notMeasured.Status
	}
	ts = append(ts, t)

	t = Target{Name: "GetCase p99 at half its max rate", Goal: "< 10 ms"}
	if g := r.Result(WGetCaseHalf); g != nil {
		t.Measured = fmt.Sprintf("%.2f ms at %.0f/s", g.P99Ms, g.TargetRPS)
		t.Status = passMiss(g.P99Ms < 10 && g.Errors == 0)
	} else {
		t.Measured, t.Status = notMeasured.Measured, notMeasured.Status
	}
	ts = append(ts, t)

	t = Target{Name: "CreateCase throughput", Goal: "≥ 1,000/s"}
	if g := r.Result(WCreateCase); g != nil {
		t.Measured = fmt.Sprintf("%.0f/s", g.RPS)
		t.Status = passMiss(g.RPS >= 1000 && g.Errors == 0)
	} else {
		t.Measured, t.Status = notMeasured.Measured, notMeasured.Status
	}
	ts = append(ts, t)

	t = Target{Name: "CountCases over 1,000,000 cases (one caller)", Goal: "< 1 s"}
	if g := r.Result(WCountCasesSolo); g != nil {
		t.Measured = fmt.Sprintf("p50 %.0f ms, max %.0f ms over %s cases", g.P50Ms, g.MaxMs, thousands(r.Seed.CasesAtEnd))
		if r.Seed.CasesAtEnd >= 1_000_000 {
			t.Status = passMiss(g.MaxMs < 1000 && g.Errors == 0)
		} else {
			t.Status = "n/a"
			t.Measured += " (run with -cases 1000000, `make bench BENCH_1M=1`)"
		}
	} else {
		t.Measured, t.Status = notMeasured.Measured, notMeasured.Status
	}
	ts = append(ts, t)

	t = Target{Name: "Server memory at 100,000 cases", Goal: "< 200 MB"}
	t.Measured = fmt.Sprintf("peak %.0f MB", r.ServerPeakMB)
	switch {
	case r.ServerPeakMB == 0:
		t.Measured, t.Status = notMeasured.Measured, notMeasured.Status
	case r.Settings.Cases > 100_000:
		t.Status = "n/a"
		t.Measured += fmt.Sprintf(" at %s cases", thousands(int64(r.Settings.Cases)))
	default:
		t.Status = passMiss(r.ServerPeakMB < 200)
	}
	ts = append(ts, t)
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
	fmt.Fprintf(&b, "| workload | conc | rps | p50 ms | p95 ms | p99 ms | errors | rps / storage limit | rps / transport limit | %s | PostgreSQL CPU µs/call | server peak MB | other load (cores) |\n", cpuCol)
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
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
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %s | %s | %s | %s | %.0f | %s |\n",
			res.Name, conc, res.RPS, res.P50Ms, res.P95Ms, res.P99Ms, res.Errors,
			ratio(res.VsStorage), ratio(res.VsTransport), srvCPU, pgCPU, res.ServerPeakMB, other)
	}
	fmt.Fprintf(&b, "\nlimits: storage (raw pgx `SELECT … FROM cases WHERE id = $1`, %d connections) %.0f/s; transport (gRPC health check, same server and connection) %.0f/s\n",
		r.Settings.Concurrency, r.StorageLimitRPS, r.TransportLimitRPS)
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
