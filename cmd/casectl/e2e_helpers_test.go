package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/testdb"
)

// Binaries built once by TestMain.
var casectlBin, casebridgedBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "casectl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, name := range []string{"casectl", "casebridged"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, out)
			return 1
		}
	}
	casectlBin, casebridgedBin = filepath.Join(dir, "casectl"), filepath.Join(dir, "casebridged")
	return m.Run()
}

// world is a dev-mode casebridged on a fresh database, and the casectl
// users who talk to it, each with their own settings file.
type world struct {
	t       *testing.T
	dbURL   string
	dataDir string
	cfgDir  string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts casebridged")
	}
	_, dbURL := testdb.NewWithURL(t)
	return &world{t: t, dbURL: dbURL, dataDir: t.TempDir(), cfgDir: t.TempDir()}
}

// server is one running casebridged process.
type server struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// freeAddr finds a free loopback port.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// start runs casebridged --dev on addr and waits until health says SERVING.
func (w *world) start(addr string, extra ...string) *server {
	w.t.Helper()
	s := &server{t: w.t, addr: addr, log: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(casebridgedBin, append([]string{"--dev", "--data-dir", w.dataDir, "--database-url", w.dbURL,
		"--listen", addr, "--admin-listen", "127.0.0.1:0", "--log-level", "warn", "--shutdown-grace", "2s"}, extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		w.t.Fatalf("start casebridged: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	w.t.Cleanup(s.stop)
	s.waitHealthy()
	return s
}

func (s *server) waitHealthy() {
	s.t.Helper()
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			s.t.Fatalf("casebridged exited while starting:\n%s", s.log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("casebridged on %s never became healthy:\n%s", s.addr, s.log.String())
}

// stop ends the server as an operator would (SIGTERM), killing it if it
// does not stop in time.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// user is one person using casectl, with their own settings file.
type user struct {
	w       *world
	subject string
	config  string
	server  string
}

func (w *world) user(subject string, srv *server) *user {
	return &user{w: w, subject: subject, config: filepath.Join(w.cfgDir, strings.ReplaceAll(subject, "@", "_")+".json"), server: srv.addr}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command builds casectl with args, as u.
func (u *user) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(casectlBin, args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CASEBRIDGE_TOKEN=") && !strings.HasPrefix(kv, "CASECTL_CONFIG=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env, "CASECTL_CONFIG="+u.config), extraEnv...)
	return cmd
}

// runWith runs casectl with stdin and extra environment variables.
func (u *user) runWith(stdin string, extraEnv []string, args ...string) result {
	u.w.t.Helper()
	cmd := u.command(extraEnv, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			u.w.t.Fatalf("run casectl %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	res := result{stdout: stdout.String(), stderr: stderr.String(), code: code}
	// Whatever happens, casectl never prints a stack trace or gRPC internals.
	for _, bad := range []string{"goroutine ", "panic:", "rpc error:", ".go:"} {
		if strings.Contains(res.stderr, bad) {
			u.w.t.Errorf("casectl %v printed %q:\n%s", args, bad, res)
		}
	}
	return res
}

func (u *user) run(args ...string) result {
	u.w.t.Helper()
	return u.runWith("", nil, args...)
}

// ok runs casectl and fails the test unless it exits 0.
func (u *user) ok(args ...string) result {
	u.w.t.Helper()
	res := u.run(args...)
	if res.code != 0 {
		u.w.t.Fatalf("casectl %s as %s: %s", strings.Join(args, " "), u.subject, res)
	}
	return res
}

// fails runs casectl and checks its exit status and that stderr says want.
func (u *user) fails(code int, want string, args ...string) result {
	u.w.t.Helper()
	res := u.run(args...)
	if res.code != code || !strings.Contains(res.stderr, want) {
		u.w.t.Errorf("casectl %s as %s: want exit %d and %q on stderr; got %s", strings.Join(args, " "), u.subject, code, want, res)
	}
	return res
}

// login signs u in with a dev token for the world's data directory.
func (u *user) login() result {
	u.w.t.Helper()
	return u.ok("login", "--dev", "--as", u.subject, "--data-dir", u.w.dataDir, "--server", u.server)
}

// decode reads casectl's --output json into m.
func decode(t *testing.T, res result, m proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal([]byte(res.stdout), m); err != nil {
		t.Fatalf("decode %T: %v\n%s", m, err, res)
	}
}

func contains(t *testing.T, res result, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
