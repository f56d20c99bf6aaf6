package loadtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc: 100 on Linux.
const clockTicks = 100

// cpuMeter attributes the machine's CPU time during a workload to the
// server, PostgreSQL (the backends of our database and the cluster's
// background processes) and the harness, and what is left to other
// processes on the machine. On a 2-core machine a wall-clock rate moves
// with whatever else runs; CPU time per call hardly does.
type cpuMeter struct {
	serverPID int // 0: the server runs in the harness's process
	// replicaPIDs are every replica's process with --replicas (the first
	// is serverPID): the server's CPU is then their sum, and each one's
	// is reported too.
	replicaPIDs []int
	pool        *pgxpool.Pool // to list PostgreSQL's processes; nil: do not
	// postmaster is PostgreSQL's parent process, found from a backend; its
	// children's CPU time counts the backends and parallel workers that
	// exited during a window, which no listing catches.
	postmaster int
}

type cpuSnap struct {
	at      time.Time
	busy    uint64 // machine, all cores
	server  uint64
	replica []uint64 // by replicaPIDs
	harness uint64
	pg      map[int]uint64
	reaped  uint64 // the postmaster's exited children
	ok      bool
}

func (m *cpuMeter) snap(ctx context.Context) cpuSnap {
	s := cpuSnap{at: time.Now(), pg: map[int]uint64{}}
	var ok bool
	if s.busy, ok = machineBusy(); !ok {
		return s
	}
	s.harness, _ = procTicks("self")
	if len(m.replicaPIDs) > 0 {
		s.replica = make([]uint64, len(m.replicaPIDs))
		for i, pid := range m.replicaPIDs {
			s.replica[i], _ = procTicks(strconv.Itoa(pid))
			s.server += s.replica[i]
		}
	} else if m.serverPID != 0 {
		s.server, _ = procTicks(strconv.Itoa(m.serverPID))
	}
	for _, pid := range m.pgPIDs(ctx) {
		if t, ok := procTicks(strconv.Itoa(pid)); ok {
			s.pg[pid] = t
			if m.postmaster == 0 {
				m.postmaster, _ = procParent(pid)
			}
		}
	}
	if m.postmaster > 1 {
		s.reaped, _ = procChildTicks(strconv.Itoa(m.postmaster))
	}
	s.ok = true
	return s
}

// pgPIDs are PostgreSQL's processes working for this run: our database's
// backends and the cluster's background processes. It finds none when
// PostgreSQL runs on another machine (the pids are not ours to read).
func (m *cpuMeter) pgPIDs(ctx context.Context) []int {
	if m.pool == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := m.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int32
		if rows.Scan(&pid) == nil {
			pids = append(pids, int(pid))
		}
	}
	return pids
}

// cpuUse is how a workload's window used the machine.
type cpuUse struct {
	seconds                  float64
	server, harness, pg, all float64 // cores
	replica                  []float64
}

func (m *cpuMeter) since(ctx context.Context, a cpuSnap) (cpuUse, bool) {
	b := m.snap(ctx)
	if !a.ok || !b.ok {
		return cpuUse{}, false
	}
	u := cpuUse{seconds: b.at.Sub(a.at).Seconds()}
	if u.seconds <= 0 {
		return cpuUse{}, false
	}
	cores := func(ticks uint64) float64 { return float64(ticks) / clockTicks / u.seconds }
	u.all = cores(b.busy - a.busy)
	u.harness = cores(b.harness - a.harness)
	if m.serverPID != 0 {
		u.server = cores(b.server - a.server)
	}
	for i := range b.replica {
		if i < len(a.replica) && b.replica[i] >= a.replica[i] {
			u.replica = append(u.replica, cores(b.replica[i]-a.replica[i]))
		}
	}
	var pg uint64
	if b.reaped >= a.reaped {
		pg = b.reaped - a.reaped
	}
	for pid, t := range b.pg {
		if t >= a.pg[pid] {
			pg += t - a.pg[pid]
		}
	}
	u.pg = cores(pg)
	return u, true
}

// machineBusy is the machine's non-idle CPU time, in ticks over all cores.
func machineBusy() (uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		busy += n
	}
	return busy, true
}

// procTicks is a process's user+system CPU time in ticks.
func procTicks(pid string) (uint64, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	return f[11] + f[12], true
}

// procChildTicks is the CPU time of a process's exited, reaped children.
func procChildTicks(pid string) (uint64, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	return f[13] + f[14], true
}

// procParent is a process's parent pid.
func procParent(pid int) (int, bool) {
	f, ok := procStat(strconv.Itoa(pid))
	if !ok {
		return 0, false
	}
	return int(f[1]), true
}

// procStat returns the numeric fields of /proc/PID/stat from field 3 on
// (f[0] is field 3, the state, and reads as 0).
func procStat(pid string) ([]uint64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, false
	}
	s := string(b)
	k := strings.LastIndexByte(s, ')')
	if k < 0 {
		return nil, false
	}
	fields := strings.Fields(s[k+1:])
	if len(fields) < 15 {
		return nil, false
	}
	out := make([]uint64, 15)
	for i := 1; i < 15; i++ {
		v, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = uint64(max(v, 0))
	}
	return out, true
}

// loadAvg is the 1-minute load average, "" when unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// watch is what a runner measures around a workload's window besides
// latencies: server memory and CPU.
type watch struct {
	mem   *memSampler
	cpu   *cpuMeter
	admin string // the server's admin listener, for its allocation counters
	ctx   context.Context

	start      cpuSnap
	startAlloc allocSnap

	// replicas counts calls by replica (nil with one server).
	replicas   *replicaCounter
	startCalls []int64
	startAt    time.Time
}

func (w *watch) begin() {
	if w == nil {
		return
	}
	w.mem.resetWindow()
	if w.replicas != nil {
		w.startCalls, w.startAt = w.replicas.snap(), time.Now()
	}
	w.startAlloc = scrapeAlloc(w.ctx, w.admin)
	if w.cpu != nil {
		w.start = w.cpu.snap(w.ctx)
	}
}

// end fills r's memory and CPU figures for the window since begin.
func (w *watch) end(r *Result) {
	if w == nil {
		return
	}
	r.ServerPeakMB = w.mem.windowPeakMB()
	if w.replicas != nil && w.startCalls != nil {
		r.Replicas = replicaShares(w.replicas, w.startCalls, w.replicas.snap(), time.Since(w.startAt).Seconds())
	}
	if a := scrapeAlloc(w.ctx, w.admin); a.ok && w.startAlloc.ok {
		if ops := float64(r.Requests + r.Errors); ops > 0 {
			r.ServerAllocKBPerOp = round2(float64(a.bytes-w.startAlloc.bytes) / ops / 1024)
			r.ServerAllocsPerOp = round2(float64(a.objects-w.startAlloc.objects) / ops)
		}
	}
	if w.cpu == nil {
		return
	}
	u, ok := w.cpu.since(w.ctx, w.start)
	if !ok {
		return
	}
	ops := float64(r.Requests + r.Errors)
	perOp := func(cores float64) float64 {
		if ops == 0 {
			return 0
		}
		return cores * u.seconds / ops * 1e6
	}
	r.CPU = &CPUUse{
		MachineCores:  round2(u.all),
		HarnessCores:  round2(u.harness),
		PostgresCores: round2(u.pg),
		OtherCores:    round2(max(0, u.all-u.server-u.harness-u.pg)),
	}
	if w.cpu.serverPID != 0 {
		r.CPU.ServerCores = round2(u.server)
		r.CPU.ServerUsPerOp = round2(perOp(u.server))
		for i, cores := range u.replica {
			if i < len(r.Replicas) {
				r.Replicas[i].ServerCores = round2(cores)
				if n := r.Replicas[i].Calls; n > 0 {
					r.Replicas[i].ServerUsPerOp = round2(cores * u.seconds / float64(n) * 1e6)
				}
			}
		}
	} else {
		r.CPU.HarnessUsPerOp = round2(perOp(u.harness))
	}
	r.CPU.PostgresUsPerOp = round2(perOp(u.pg))
}

func round2(v float64) float64 {
	f, _ := strconv.ParseFloat(fmt.Sprintf("%.2f", v), 64)
	return f
}
