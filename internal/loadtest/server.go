package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
)

// freshDatabase creates an empty database on the server of adminURL and
// returns its URL and a function that drops it.
func freshDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	u, err := url.Parse(adminURL)
	if err != nil || u.Scheme == "" {
		return "", nil, errors.New("the database URL is not a URL (postgres://...)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "cbbench_" + hex.EncodeToString(b)
	if err := adminExec(ctx, adminURL, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = adminExec(ctx, adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func adminExec(ctx context.Context, dbURL, sql string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// capacityLimits are the limits of the server whose capacity the harness
// measures with a handful of callers: no per-caller or per-organisation
// limit (they would measure the limit, not the server), the replica's own
// bounds kept, and a statistics queue long enough for every caller.
func capacityLimits() limits.Config {
	c := limits.Defaults().WithoutCallerLimits()
	c.Classes[limits.Stats].Queue = 64
	return c
}

// runningServer is the server under test, however it was started.
type runningServer struct {
	addr string
	mode string
	pid  int // subprocess only
	// admin is the server's admin listener (metrics, pprof), subprocess
	// only: in-process its Go runtime figures would count the harness too.
	admin string
	mem   *memSampler
	stop  func() error
	// hwm returns the process's peak resident set (VmHWM) in bytes, 0 when unknown.
	hwm func() uint64
}

// startServer starts casebridged in dev mode on a free loopback port
// against dbURL, as a subprocess of cfg.ServerBin or in this process, and
// waits until its health check says SERVING.
func startServer(ctx context.Context, cfg *Config, dbURL, dataDir string) (*runningServer, error) {
	return startServerWith(ctx, cfg, dbURL, dataDir, capacityLimits())
}

// startServerWith is startServer with the given limits.
func startServerWith(ctx context.Context, cfg *Config, dbURL, dataDir string, lim limits.Config) (*runningServer, error) {
	return startNamed(ctx, cfg, dbURL, dataDir, lim, "server.log")
}

// startReplica starts replica n (from 2) beside the first server, on the
// same database and data directory, with a log of its own.
func startReplica(ctx context.Context, cfg *Config, dbURL, dataDir string, n int) (*runningServer, error) {
	return startNamed(ctx, cfg, dbURL, dataDir, capacityLimits(), fmt.Sprintf("server-%d.log", n))
}

func startNamed(ctx context.Context, cfg *Config, dbURL, dataDir string, lim limits.Config, logName string) (*runningServer, error) {
	if cfg.ServerBin != "" {
		return startSubprocess(ctx, cfg, dbURL, dataDir, lim, logName)
	}
	return startInProcess(ctx, cfg, dbURL, dataDir, lim, logName)
}

func startInProcess(ctx context.Context, cfg *Config, dbURL, dataDir string, lim limits.Config, logName string) (*runningServer, error) {
	logFile, err := os.Create(filepath.Join(dataDir, logName))
	if err != nil {
		return nil, err
	}
	log, err := server.NewLogger(logFile, cfg.ServerLogLevel, "json")
	if err != nil {
		logFile.Close()
		return nil, err
	}
	scfg := server.Config{
		Dev: true, DataDir: dataDir, DatabaseURL: dbURL,
		LogLevel: cfg.ServerLogLevel, LogFormat: "json", ShutdownGrace: 5 * time.Second,
		Limits: lim,
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	srv, err := server.New(sctx, scfg, log)
	if err != nil {
		cancel()
		logFile.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		srv.Close()
		logFile.Close()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, lis) }()
	rs := &runningServer{
		addr: lis.Addr().String(),
		mode: "in-process (server.New, dev mode)",
		mem:  selfMemory(),
		// The process's VmHWM would count the harness too, and seeding's
		// peak: the sampled Go heap and stacks are the figure here.
		hwm: func() uint64 { return 0 },
	}
	rs.stop = func() error {
		cancel()
		err := <-done
		srv.Close()
		logFile.Close()
		return err
	}
	if err := waitServing(ctx, rs.addr, 60*time.Second, nil); err != nil {
		_ = rs.stop()
		return nil, err
	}
	rs.mem.start()
	return rs, nil
}

func startSubprocess(ctx context.Context, cfg *Config, dbURL, dataDir string, lim limits.Config, logName string) (*runningServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	adminPort, err := freePort()
	if err != nil {
		return nil, err
	}
	admin := "127.0.0.1:" + strconv.Itoa(adminPort)
	logPath := filepath.Join(dataDir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--dev", "--data-dir", dataDir, "--listen", addr,
		"--database-url", dbURL, "--log-level", cfg.ServerLogLevel, "--log-format", "json", "--shutdown-grace", "5s",
		"--admin-listen", admin},
		lim.Flags()...)
	cmd := exec.Command(cfg.ServerBin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = os.Environ()
	// The server dies with the harness, even if the harness is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.ServerBin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	pid := cmd.Process.Pid
	rs := &runningServer{
		addr:  addr,
		mode:  "subprocess (" + cfg.ServerBin + " --dev)",
		pid:   pid,
		admin: admin,
		mem:   processMemory(pid),
	}
	var lastHWM uint64
	rs.hwm = func() uint64 {
		if v := procStatus(fmt.Sprintf("/proc/%d/status", pid))["VmHWM"]; v > 0 {
			lastHWM = v
		}
		return lastHWM
	}
	rs.stop = func() error {
		rs.hwm()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		var err error
		select {
		case err = <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			err = <-exited
		}
		logFile.Close()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Exited() && ee.ExitCode() == 0 {
			err = nil
		}
		return err
	}
	if err := waitServing(ctx, addr, 60*time.Second, exited); err != nil {
		_ = rs.stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(logPath, 20))
	}
	rs.mem.start()
	return rs, nil
}

// waitServing polls the health check until SERVING.
func waitServing(ctx context.Context, addr string, limit time.Duration, exited <-chan error) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(limit)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before serving: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server at %s was not SERVING within %s (last: %v)", addr, limit, err)
		}
	}
}

func freePort() (int, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n lines of a file, for an error message.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "server log (" + path + "):\n" + strings.Join(lines, "\n")
}
