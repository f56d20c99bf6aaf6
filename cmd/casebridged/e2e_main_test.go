package main_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	"github.com/casebridge/casebridge/internal/testdb"
)

// casebridgedBin is the server, built once by TestMain without the race
// detector, so that its memory is what production would use.
var casebridgedBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "casebridged-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	casebridgedBin = filepath.Join(dir, "casebridged")
	cmd := exec.Command("go", "build", "-o", casebridgedBin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build casebridged: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// process is one running casebridged --dev on a fresh database.
type process struct {
	t       *testing.T
	cmd     *exec.Cmd
	conn    *grpc.ClientConn
	dataDir string
	log     *strings.Builder
	logMu   sync.Mutex
}

// startServer runs casebridged --dev with extra flags and waits until it
// serves.
func startServer(t *testing.T, flags ...string) *process {
	t.Helper()
	_, dbURL := testdb.NewWithURL(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	p := &process{t: t, dataDir: t.TempDir(), log: &strings.Builder{}}
	args := append([]string{"--dev", "--data-dir", p.dataDir, "--database-url", dbURL, "--listen", addr,
		"--log-level", "warn", "--shutdown-grace", "2s"}, flags...)
	p.cmd = exec.Command(casebridgedBin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("casebridged log:\n%s", p.logText())
		}
	})
	p.conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.conn.Close() })
	health := healthpb.NewHealthClient(p.conn)
	for deadline := time.Now().Add(90 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("casebridged never became healthy:\n%s", p.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *process) Write(b []byte) (int, error) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.Write(b)
}

func (p *process) logText() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

// as is a context whose calls carry subject's dev token.
func (p *process) as(subject string) context.Context {
	p.t.Helper()
	issuer, err := authn.LoadOrCreateDevIssuer(p.dataDir)
	if err != nil {
		p.t.Fatal(err)
	}
	tok, err := issuer.Mint(subject, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	p.t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// rss is the server's resident set now, in bytes (0 once it exited).
func (p *process) rss() uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(rest, "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakGrowth runs attack while sampling the server's resident set, and
// returns how far it rose above where it was before.
func (p *process) peakGrowth(attack func()) uint64 {
	base := p.rss()
	if base == 0 {
		p.t.Fatal("cannot read the server's resident set")
	}
	peak := base
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if r := p.rss(); r > peak {
				peak = r
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	attack()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-sampled
	return peak - base
}

const mb = 1 << 20
