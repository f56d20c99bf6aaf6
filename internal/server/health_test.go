package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/casebridge/casebridge/internal/server"
)

// repoRoot finds the repository from this file's location.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func pgctl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot(t), "deploy", "postgres.sh"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("postgres.sh %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestHealthFollowsDatabase stops and restarts a dedicated PostgreSQL under
// a running server: health must turn NOT_SERVING and back without a restart.
func TestHealthFollowsDatabase(t *testing.T) {
	// Not t.TempDir: PostgreSQL runs as another user when tests run as root,
	// and must be able to reach its directory.
	dir, err := os.MkdirTemp("", "casebridge-health-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	url := pgctl(t, "start", dir, "--fast")
	t.Cleanup(func() { pgctl(t, "stop", dir) })

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var srv *server.Server
	srv, err = server.New(ctx, server.Config{Dev: true, DataDir: t.TempDir(), DatabaseURL: url,
		LogLevel: "info", LogFormat: "text", ShutdownGrace: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)

	waitFor(t, health, healthpb.HealthCheckResponse_SERVING, 5*time.Second)
	pgctl(t, "stop", dir)
	waitFor(t, health, healthpb.HealthCheckResponse_NOT_SERVING, 5*time.Second)
	pgctl(t, "start", dir, "--fast")
	waitFor(t, health, healthpb.HealthCheckResponse_SERVING, 10*time.Second)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func waitFor(t *testing.T, c healthpb.HealthClient, want healthpb.HealthCheckResponse_ServingStatus, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last healthpb.HealthCheckResponse_ServingStatus
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := c.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil {
			last = resp.GetStatus()
			if last == want {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("health: want %v within %v, last saw %v", want, within, last)
}
