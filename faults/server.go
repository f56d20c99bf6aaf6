package faults

import (
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
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/authn"
)

// BuildServer builds casebridged (without the race detector: the server
// under faults is the one production runs) into dir and returns its path.
func BuildServer(dir string) (string, error) {
	bin := filepath.Join(dir, "casebridged")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/casebridged")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build casebridged: %v\n%s", err, out)
	}
	return bin, nil
}

// Server is a casebridged process in dev mode. It keeps its address and
// data directory (keyring, token issuer) across restarts, so clients
// reconnect to the same server after a kill -9.
type Server struct {
	Addr    string
	DataDir string
	DBURL   string
	Conn    *grpc.ClientConn

	t     testing.TB
	bin   string
	flags []string
	env   []string // added to the test's environment
	cmd   *exec.Cmd
	exit  chan struct{}

	logMu sync.Mutex
	log   strings.Builder

	issuer   *authn.DevIssuer
	tokensMu sync.Mutex
	tokens   map[string]string
}

// StartServer runs bin against dbURL and waits until it serves. Extra flags
// go to casebridged.
func StartServer(t testing.TB, bin, dbURL string, flags ...string) *Server {
	t.Helper()
	return StartReplica(t, bin, dbURL, t.TempDir(), flags...)
}

// StartReplica is StartServer with the data directory (keyring and token
// issuer) of another server: a second replica of the same deployment.
func StartReplica(t testing.TB, bin, dbURL, dataDir string, flags ...string) *Server {
	t.Helper()
	return startServer(t, bin, dbURL, dataDir, nil, flags...)
}

// StartServerEnv is StartServer with env (KEY=value) added to the server's
// environment, at every start: for the fault-injection knobs.
func StartServerEnv(t testing.TB, bin, dbURL string, env []string, flags ...string) *Server {
	t.Helper()
	return startServer(t, bin, dbURL, t.TempDir(), env, flags...)
}

func startServer(t testing.TB, bin, dbURL, dataDir string, env []string, flags ...string) *Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	s := &Server{Addr: addr, DataDir: dataDir, DBURL: dbURL, t: t, bin: bin, flags: flags, env: env}
	s.Start()
	s.Conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Conn.Close()
		s.Terminate()
		if t.Failed() {
			t.Logf("casebridged log (last lines):\n%s", tail(s.Log(), 60))
		}
	})
	s.WaitServing(90 * time.Second)
	s.issuer, err = authn.LoadOrCreateDevIssuer(s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	s.tokens = map[string]string{}
	return s
}

// Start starts the process (again, after Kill9).
func (s *Server) Start() {
	s.t.Helper()
	args := append([]string{"--dev", "--data-dir", s.DataDir, "--database-url", s.DBURL, "--listen", s.Addr,
		// No admin listener unless asked for: its default port would
		// collide between the suite's replicas and other servers here.
		"--log-level", "warn", "--shutdown-grace", "2s", "--admin-listen="}, s.flags...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if len(s.env) > 0 {
		s.cmd.Env = append(os.Environ(), s.env...)
	}
	// The server dies with the test process, whatever happens to it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exit = make(chan struct{})
	go func(cmd *exec.Cmd, exit chan struct{}) { _ = cmd.Wait(); close(exit) }(s.cmd, s.exit)
}

// Kill9 kills the server with SIGKILL and waits until it is gone.
func (s *Server) Kill9() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exit
}

// Terminate stops the server with SIGTERM (SIGKILL after 20 s).
func (s *Server) Terminate() {
	select {
	case <-s.exit:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(20 * time.Second):
		s.Kill9()
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.exit:
		return true
	default:
		return false
	}
}

// Pid is the running process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// WaitServing waits until health says SERVING and returns how long that took.
func (s *Server) WaitServing(limit time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	health := healthpb.NewHealthClient(s.Conn)
	if s.Conn == nil {
		conn, err := grpc.NewClient(s.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			s.t.Fatal(err)
		}
		defer conn.Close()
		health = healthpb.NewHealthClient(conn)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return time.Since(start)
		}
		if s.Exited() {
			s.t.Fatalf("casebridged exited:\n%s", tail(s.Log(), 40))
		}
		if time.Since(start) > limit {
			s.t.Fatalf("casebridged not SERVING after %s (last: %v %v)", limit, resp.GetStatus(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// As returns ctx carrying subject's dev token.
func (s *Server) As(ctx context.Context, subject string) context.Context {
	s.tokensMu.Lock()
	tok, ok := s.tokens[subject]
	if !ok {
		var err error
		if tok, err = s.issuer.Mint(subject, 3*time.Hour); err != nil {
			panic(err) // a dev issuer that cannot sign: nothing to test
		}
		s.tokens[subject] = tok
	}
	s.tokensMu.Unlock()
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func (s *Server) Write(b []byte) (int, error) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.Write(b)
}

// Log is everything the server wrote so far, across restarts.
func (s *Server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// rssOf reads a process's resident set in bytes.
func rssOf(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
