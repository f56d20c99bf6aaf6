package documents_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/s3test"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// benchMB is the size of the file the transfer benchmarks move
// (CASEBRIDGE_BENCH_DOC_MB, default 32).
func benchMB() int {
	if n, err := strconv.Atoi(os.Getenv("CASEBRIDGE_BENCH_DOC_MB")); err == nil && n > 0 {
		return n
	}
	return 32
}

// BenchmarkTransfer measures, in one run, for each blob store (PostgreSQL,
// and the S3-compatible object store deploy/with-s3.sh starts), the raw
// write and read speed of the store (ciphertext-sized random bytes
// straight into it) next to an upload and a download of a document of the
// same size over gRPC to a server keeping its documents there (sniffing,
// age STREAM encryption, the same store, audit). go test reports each as
// MB/s.
func BenchmarkTransfer(b *testing.B) {
	limit := func(c *server.Config) { c.Limits.DocumentBytes = 4 << 30 }
	b.Run("postgres", func(b *testing.B) { benchTransfer(b, servertest.Start(b, limit)) })
	b.Run("s3", func(b *testing.B) { benchTransfer(b, servertest.Start(b, limit, withS3(s3test.Bucket(b)))) })
}

func benchTransfer(b *testing.B, env *servertest.Env) {
	size := benchMB() << 20
	content := pdf(b, size)
	raw := env.Server.BlobStore()
	ctx := context.Background()
	caseID := env.NewMarkedCase(b)

	b.Run("store-put", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := raw.Put(ctx, uuid.NewString(), bytes.NewReader(content)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store-get", func(b *testing.B) {
		id := uuid.NewString()
		if _, err := raw.Put(ctx, id, bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(size))
		for b.Loop() {
			rc, err := raw.Open(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	})
	var docID string
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			d, err := servertest.Upload(env.As(b, "caseworker@shelter-a"), env.Conn, meta(caseID, legal, "bench"), bytes.NewReader(content))
			if err != nil {
				b.Fatal(err)
			}
			docID = d.GetId()
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			if n, err := drain(env.As(b, "caseworker@shelter-a"), env, docID); err != nil || n != int64(size) {
				b.Fatalf("downloaded %d bytes: %v", n, err)
			}
		}
	})
}

// drain downloads document id and throws its content away.
func drain(ctx context.Context, env *servertest.Env, id string) (int64, error) {
	return drainConn(ctx, env.Conn, id)
}

// drainConn downloads document id over conn and throws its content away.
func drainConn(ctx context.Context, conn grpc.ClientConnInterface, id string) (int64, error) {
	stream, err := casebridgev1.NewDocumentServiceClient(conn).DownloadDocument(ctx, &casebridgev1.DownloadDocumentRequest{Id: id})
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += int64(len(msg.GetChunk()))
	}
}

// BenchmarkRekey re-keys a case holding 100 documents (as a revocation
// does: a new case key, every sealed value of the case re-sealed, in one
// transaction), for documents of 10 KiB and of 10 MiB: the time does not
// depend on the files' size, since only each document's key is re-sealed.
// The 10 MiB case uploads 1 GiB first (CASEBRIDGE_BENCH_REKEY_MB changes it).
func BenchmarkRekey(b *testing.B) {
	big := 10 << 20
	if n, err := strconv.Atoi(os.Getenv("CASEBRIDGE_BENCH_REKEY_MB")); err == nil && n > 0 {
		big = n << 20
	}
	for _, size := range []int{10 << 10, big} {
		b.Run(fmt.Sprintf("100-documents-of-%dKiB", size>>10), func(b *testing.B) {
			env := servertest.Start(b, func(c *server.Config) { c.Limits.DocumentBytes = int64(size) })
			caseID := env.NewMarkedCase(b)
			content := pdf(b, size)
			for i := range 100 {
				copy(content[20:], fmt.Sprintf("%08d", i))
				if _, err := servertest.Upload(env.As(b, "caseworker@shelter-a"), env.Conn, meta(caseID, legal, fmt.Sprint(i)), bytes.NewReader(content)); err != nil {
					b.Fatal(err)
				}
			}
			kr, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
			if err != nil {
				b.Fatal(err)
			}
			km := keys.NewManager(env.Pool, kr, nil, nil)
			b.Cleanup(km.Close)
			ctx := context.Background()
			for b.Loop() {
				tx, err := env.Pool.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				err = km.ReplaceCaseKey(ctx, tx, caseID, func(q db.Querier, old, new *vault.CaseKey) error {
					return sealed.Reseal(ctx, q, caseID, old, new)
				}, "shelter-a")
				if err == nil {
					err = tx.Commit(ctx)
				}
				if err != nil {
					_ = tx.Rollback(ctx)
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/rekey")
		})
	}
}

// TestHugeUploadKeepsMemoryFlat uploads and downloads a document of
// CASEBRIDGE_HUGE_UPLOAD_MB (1024 when CASEBRIDGE_HUGE_UPLOAD=1; skipped
// otherwise: it is `make bench-documents`'s, not `make test`'s) to a
// casebridged of its own, run as a subprocess (CASEBRIDGE_SERVER_BIN, or
// built here), so that the figure is the server's alone, not this test
// process's, which generates the content and reads it back. The server's
// resident memory (VmRSS of its /proc status) is sampled every 20 ms from
// after a warm-up: it must grow by less than 50 MB.
func TestHugeUploadKeepsMemoryFlat(t *testing.T) {
	if os.Getenv("CASEBRIDGE_HUGE_UPLOAD") == "" {
		t.Skip("set CASEBRIDGE_HUGE_UPLOAD=1 (make bench-documents) to upload 1 GiB")
	}
	mb := 1024
	if n, err := strconv.Atoi(os.Getenv("CASEBRIDGE_HUGE_UPLOAD_MB")); err == nil && n > 0 {
		mb = n
	}
	size := int64(mb) << 20
	srv := startSubprocess(t, size)
	caseID := srv.newCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// Longer than Env.As's 30 s: a GiB takes a while on a small machine.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+srv.token(t, "caseworker@shelter-a"))
	// Warm up: the first small upload and download load what every call needs.
	d, err := servertest.Upload(ctx, srv.conn, meta(caseID, legal, "warm"), bytes.NewReader(pdf(t, 300_000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drainConn(ctx, srv.conn, d.GetId()); err != nil {
		t.Fatal(err)
	}
	base := srv.rss(t)
	var peak atomic.Int64
	peak.Store(base)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if r := srv.rss(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	start := time.Now()
	d, err = servertest.Upload(ctx, srv.conn, meta(caseID, legal, "huge"), io.LimitReader(&pdfStream{}, size))
	if err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	upPeak := peak.Load()
	start = time.Now()
	n, err := drainConn(ctx, srv.conn, d.GetId())
	if err != nil || n != size {
		t.Fatalf("downloaded %d of %d bytes: %v", n, size, err)
	}
	down := time.Since(start)
	close(stop)
	<-sampled
	growth := float64(peak.Load()-base) / 1e6
	t.Logf("DOCUMENTS | %d MiB | upload %.1f MB/s, download %.1f MB/s | casebridged subprocess (pid %d) VmRSS %.1f MB before, peak %.1f MB during the upload, %.1f MB overall: growth %.1f MB",
		mb, float64(size)/1e6/up.Seconds(), float64(size)/1e6/down.Seconds(), srv.pid, float64(base)/1e6, float64(upPeak)/1e6, float64(peak.Load())/1e6, growth)
	if growth >= 50 {
		t.Fatalf("the server's resident memory grew by %.1f MB moving %d MiB, want less than 50 MB", growth, mb)
	}
}

// subprocess is a casebridged of a test's own, in dev mode on a fresh
// database, with a client connection to it.
type subprocess struct {
	pid     int
	dataDir string
	conn    *grpc.ClientConn
}

// startSubprocess runs casebridged (CASEBRIDGE_SERVER_BIN, else built into
// a temporary directory) in dev mode on a free loopback port, documents up
// to maxBytes, and waits until it serves. It is stopped when t ends.
func startSubprocess(t *testing.T, maxBytes int64) *subprocess {
	t.Helper()
	bin := os.Getenv("CASEBRIDGE_SERVER_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "casebridged")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/casebridge/casebridge/cmd/casebridged").CombinedOutput(); err != nil {
			t.Fatalf("build casebridged: %v\n%s", err, out)
		}
	}
	_, dbURL := testdb.NewWithURL(t)
	dataDir := t.TempDir()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	lim := limits.Defaults().WithoutCallerLimits()
	lim.DocumentBytes = maxBytes
	logs, err := os.Create(filepath.Join(dataDir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--dev", "--data-dir", dataDir, "--listen", addr, "--database-url", dbURL,
		"--log-level", "warn", "--shutdown-grace", "5s"}, lim.Flags()...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	// The server dies with the test, even if the test is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logs.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("casebridged log:\n%s", b)
		}
	})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	hc := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("casebridged exited before serving: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("casebridged at %s did not serve within 2 minutes (last: %v)", addr, err)
		}
	}
	return &subprocess{pid: cmd.Process.Pid, dataDir: dataDir, conn: conn}
}

// token mints a dev token for subject with the server's own dev issuer.
func (s *subprocess) token(t *testing.T, subject string) string {
	t.Helper()
	issuer, err := authn.LoadOrCreateDevIssuer(s.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := issuer.Mint(subject, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newCase opens a case at shelter-a.
func (s *subprocess) newCase(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+s.token(t, "caseworker@shelter-a"))
	resp, err := casebridgev1.NewCaseServiceClient(s.conn).CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{Nationality: "UA", Country: "RS"},
		Legal: &casebridgev1.LegalData{ExploitationAccount: "an account"},
	}})
	if err != nil {
		t.Fatalf("create case: %v", err)
	}
	return resp.GetCase().GetId()
}

// rss is the server process's resident set in bytes.
func (s *subprocess) rss(t *testing.T) int64 {
	return vmRSS(t, fmt.Sprintf("/proc/%d/status", s.pid))
}

// pdfStream is an endless PDF-looking stream of random bytes.
type pdfStream struct{ started bool }

func (p *pdfStream) Read(b []byte) (int, error) {
	if !p.started {
		p.started = true
		return copy(b, "%PDF-1.7\n"), nil
	}
	return rand.Read(b)
}

// vmRSS is the resident set, in bytes, of a /proc/PID/status file.
func vmRSS(t *testing.T, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in %s", path)
	return 0
}
