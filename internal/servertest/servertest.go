// Package servertest starts a complete Casebridge server for end-to-end
// tests: a fresh migrated PostgreSQL database, dev-mode keys and demo world,
// and gRPC over a real TCP listener on 127.0.0.1.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/testdb"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Env is a running server and a client connection to it.
type Env struct {
	Addr    string
	DBURL   string
	DataDir string
	Pool    *pgxpool.Pool
	Conn    *grpc.ClientConn
	Server  *server.Server
	issuer  *authn.DevIssuer
	logs    *logBuffer
	stop    func()
}

// Option adjusts the server configuration before it starts.
type Option func(*server.Config)

// Start runs a dev-mode server on a free loopback port against a fresh
// database and stops it when t ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return StartWith(t, nil, opts...)
}

// StartWith is Start with extra services registered (by register, when not
// nil) before the server begins serving, for tests of the server's own
// machinery (interceptors) with handlers of their own.
func StartWith(t testing.TB, register func(grpc.ServiceRegistrar), opts ...Option) *Env {
	t.Helper()
	pool, dbURL := testdb.NewWithURL(t)
	return start(t, pool, dbURL, t.TempDir(), register, opts...)
}

// StartOn runs a dev-mode server against an existing database (a restored
// backup, a database of another cluster) with its keys and token-signing
// key under dataDir (the keyring is dataDir/keys), stopped when t ends.
// Env.Pool is a pool of its own on that database.
func StartOn(t testing.TB, dbURL, dataDir string, opts ...Option) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("servertest: open %s: %v", dbURL, err)
	}
	t.Cleanup(pool.Close)
	return start(t, pool, dbURL, dataDir, nil, opts...)
}

func start(t testing.TB, pool *pgxpool.Pool, dbURL, dataDir string, register func(grpc.ServiceRegistrar), opts ...Option) *Env {
	t.Helper()
	cfg := server.Config{
		Dev: true, DataDir: dataDir, DatabaseURL: dbURL,
		LogLevel: "warn", LogFormat: "text", ShutdownGrace: 5 * time.Second,
		// Tests call quickly as few users; the tests of the limits set their own.
		Limits: limits.Defaults().WithoutCallerLimits(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	// The server's log is kept and shown when the test fails, so that an
	// Internal error in CI says what went wrong.
	logs := &logBuffer{}
	var logOut io.Writer = logs
	if os.Getenv("CASEBRIDGE_TEST_LOG") != "" {
		logOut = io.MultiWriter(logs, os.Stderr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (errors and warnings):\n%s", logs.problems())
		}
	})
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("servertest: start server: %v", err)
	}
	if register != nil {
		register(srv.GRPC())
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("servertest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("servertest: dial: %v", err)
	}
	issuer, err := authn.LoadOrCreateDevIssuer(dataDir)
	if err != nil {
		t.Fatalf("servertest: dev issuer: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("servertest: serve: %v", err)
			}
			srv.Close()
		})
	}
	t.Cleanup(func() {
		conn.Close()
		stop()
	})
	return &Env{Addr: lis.Addr().String(), DBURL: dbURL, DataDir: dataDir, Pool: pool, Conn: conn, Server: srv, issuer: issuer, logs: logs, stop: stop}
}

// Stop shuts the server down gracefully before the test ends.
func (e *Env) Stop(t testing.TB) { e.stop() }

// ExpiredToken mints a dev token that expired an hour ago.
func (e *Env) ExpiredToken(t testing.TB, subject string) string {
	t.Helper()
	tok, err := e.issuer.MintAt(subject, time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		t.Fatalf("servertest: mint token: %v", err)
	}
	return tok
}

// ServerLog returns every line the server has logged so far.
func (e *Env) ServerLog() string {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return strings.Join(e.logs.lines, "")
}

// TokenFor mints a dev token for subject that expires after ttl.
func (e *Env) TokenFor(t testing.TB, subject string, ttl time.Duration) string {
	t.Helper()
	tok, err := e.issuer.Mint(subject, ttl)
	if err != nil {
		t.Fatalf("servertest: mint token: %v", err)
	}
	return tok
}

// Token mints a dev token for subject.
func (e *Env) Token(t testing.TB, subject string) string {
	t.Helper()
	tok, err := e.issuer.Mint(subject, time.Hour)
	if err != nil {
		t.Fatalf("servertest: mint token: %v", err)
	}
	return tok
}

// As returns a context whose calls carry subject's bearer token.
func (e *Env) As(t testing.TB, subject string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e.Token(t, subject))
}

// Cases is a CaseService client.
func (e *Env) Cases() casebridgev1.CaseServiceClient {
	return casebridgev1.NewCaseServiceClient(e.Conn)
}

// Organizations is an OrganizationService client.
func (e *Env) Organizations() casebridgev1.OrganizationServiceClient {
	return casebridgev1.NewOrganizationServiceClient(e.Conn)
}

// logBuffer collects the server's log lines for a failing test.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, string(p))
	return len(p), nil
}

// problems returns the warning and error lines (the last 50).
func (b *logBuffer) problems() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
			out = append(out, l)
		}
	}
	if len(out) > 50 {
		out = out[len(out)-50:]
	}
	return strings.Join(out, "")
}
