package audit_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// postmasterOf returns the pid of the PostgreSQL server behind pool when it
// runs on this machine (as the project's script runs it), else 0.
func postmasterOf(tb testing.TB, pool *pgxpool.Pool) int {
	var backend int
	if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		tb.Fatal(err)
	}
	ppid, _, _, ok := procCPU(backend)
	if !ok {
		return 0
	}
	return ppid
}

// processCPU is the CPU time this process used so far, in seconds.
func processCPU(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// postgresCPU is the CPU time the PostgreSQL cluster used so far (the
// postmaster, its exited children and its live backends), read from /proc:
// it needs the cluster on this machine, as the project's script runs it.
func postgresCPU(postmaster int) float64 {
	if postmaster == 0 {
		return 0
	}
	total := 0.0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, own, children, ok := procCPU(pid)
		if !ok {
			continue
		}
		switch {
		case pid == postmaster:
			total += own + children
		case ppid == postmaster:
			total += own
		}
	}
	return total
}

// procCPU reads a process's parent and CPU seconds (its own, and its
// waited-for children's) from /proc/<pid>/stat.
func procCPU(pid int) (ppid int, own, children float64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, false
	}
	s := string(b)
	k := strings.LastIndexByte(s, ')')
	if k < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(s[k+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, 0, false
	}
	num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
	ppid = int(num(1))
	const ticks = 100 // USER_HZ
	return ppid, (num(11) + num(12)) / ticks, (num(13) + num(14)) / ticks, true
}
