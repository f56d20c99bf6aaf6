package faults

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is a PostgreSQL cluster the suite started itself (never the one
// other tests share), with deploy/postgres.sh, so that it may kill it.
type Cluster struct {
	Dir    string
	script string
}

// StartCluster initialises and starts a crash-safe cluster (its commits
// wait for their WAL write, so kill -9 loses nothing acknowledged), stopped
// and removed when t ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	// Not t.TempDir: PostgreSQL runs as another user when tests run as
	// root, and must reach its directory.
	dir, err := os.MkdirTemp("", "casebridge-faults-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Dir: dir, script: filepath.Join(RepoRoot(), "deploy", "postgres.sh")}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "postgres.log")); err == nil {
				t.Logf("PostgreSQL log (last lines):\n%s", tail(string(b), 40))
			}
		}
		_, _ = exec.Command(c.script, "stop", dir).CombinedOutput()
		_ = os.RemoveAll(dir)
	})
	c.Start(t)
	return c
}

// Start starts the (stopped or killed) cluster on its previous port. Right
// after a kill -9 the old processes may still hold the cluster's shared
// memory for a moment, so it tries again for a while.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := c.run("start", c.Dir, "--crash-safe")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("restart PostgreSQL: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop stops the cluster cleanly.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if _, err := c.run("stop", c.Dir); err != nil {
		t.Fatal(err)
	}
}

// Database creates database name and returns its URL.
func (c *Cluster) Database(t testing.TB, name string) string {
	t.Helper()
	out, err := c.run("database", c.Dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Kill9 kills the postmaster and every backend with SIGKILL, as a crash
// does: nothing is flushed, nobody is told.
func (c *Cluster) Kill9(t testing.TB) {
	t.Helper()
	pid := c.postmasterPID(t)
	children := childrenOf(pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for _, ch := range children {
		_ = syscall.Kill(ch, syscall.SIGKILL)
	}
	// Wait until the postmaster is gone (the cluster's own processes are
	// reaped by init, not by us).
	for deadline := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL %d survived SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) postmasterPID(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

func (c *Cluster) run(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(c.script, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut after ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// RepoRoot is the repository holding this module.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StartStandby makes a synchronous streaming standby of c (every commit c
// acknowledges is on the standby too), stopped and removed when t ends.
func (c *Cluster) StartStandby(t testing.TB) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "casebridge-faults-standby-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Cluster{Dir: dir, script: c.script}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "postgres.log")); err == nil {
				t.Logf("standby's PostgreSQL log (last lines):\n%s", tail(string(b), 40))
			}
		}
		_, _ = exec.Command(s.script, "stop", dir).CombinedOutput()
		_ = os.RemoveAll(dir)
	})
	if _, err := s.run("standby", dir, c.Dir); err != nil {
		t.Fatal(err)
	}
	return s
}

// Promote promotes the standby to a primary.
func (c *Cluster) Promote(t testing.TB) {
	t.Helper()
	if _, err := c.run("promote", c.Dir); err != nil {
		t.Fatal(err)
	}
}

// Host is the cluster's host:port.
func (c *Cluster) Host(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, "port"))
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strings.TrimSpace(string(b))
}
