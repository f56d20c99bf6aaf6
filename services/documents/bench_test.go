package documents_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/blobstore/pgstore"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
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

// BenchmarkTransfer measures, in one run on one database, the raw write
// and read speed of the PostgreSQL blob store (ciphertext-sized random
// bytes straight into pgstore) next to an upload and a download of a
// document of the same size over gRPC (sniffing, age STREAM encryption,
// the same store, audit). go test reports each as MB/s.
func BenchmarkTransfer(b *testing.B) {
	env := servertest.Start(b, func(c *server.Config) { c.Limits.DocumentBytes = 4 << 30 })
	size := benchMB() << 20
	content := pdf(b, size)
	raw := pgstore.New(env.Pool)
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
	stream, err := docs(env).DownloadDocument(ctx, &casebridgev1.DownloadDocumentRequest{Id: id})
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
// otherwise: it is `make bench-documents`'s, not `make test`'s), sampling
// the process's resident memory (server and client share it: the client
// holds one 256 KiB chunk) every 20 ms: it must grow by less than 50 MB.
func TestHugeUploadKeepsMemoryFlat(t *testing.T) {
	if os.Getenv("CASEBRIDGE_HUGE_UPLOAD") == "" {
		t.Skip("set CASEBRIDGE_HUGE_UPLOAD=1 (make bench-documents) to upload 1 GiB")
	}
	mb := 1024
	if n, err := strconv.Atoi(os.Getenv("CASEBRIDGE_HUGE_UPLOAD_MB")); err == nil && n > 0 {
		mb = n
	}
	size := int64(mb) << 20
	env := servertest.Start(t, func(c *server.Config) { c.Limits.DocumentBytes = size })
	caseID := env.NewMarkedCase(t)
	// Warm up: the first small upload and download load what every call needs.
	d, err := servertest.Upload(env.As(t, "caseworker@shelter-a"), env.Conn, meta(caseID, legal, "warm"), bytes.NewReader(pdf(t, 300_000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(env.As(t, "caseworker@shelter-a"), env, d.GetId()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	base := rss(t)
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
				if r := rss(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// Longer than Env.As's 30 s: a GiB takes a while on a small machine.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+env.Token(t, "caseworker@shelter-a"))
	start := time.Now()
	d, err = servertest.Upload(ctx, env.Conn, meta(caseID, legal, "huge"), io.LimitReader(&pdfStream{}, size))
	if err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	upPeak := peak.Load()
	start = time.Now()
	n, err := drain(ctx, env, d.GetId())
	if err != nil || n != size {
		t.Fatalf("downloaded %d of %d bytes: %v", n, size, err)
	}
	down := time.Since(start)
	close(stop)
	<-sampled
	growth := float64(peak.Load()-base) / 1e6
	t.Logf("DOCUMENTS | %d MiB | upload %.1f MB/s, download %.1f MB/s | RSS %.1f MB before, peak %.1f MB during the upload, %.1f MB overall: growth %.1f MB",
		mb, float64(size)/1e6/up.Seconds(), float64(size)/1e6/down.Seconds(), float64(base)/1e6, float64(upPeak)/1e6, float64(peak.Load())/1e6, growth)
	if growth >= 50 {
		t.Fatalf("resident memory grew by %.1f MB moving %d MiB, want less than 50 MB", growth, mb)
	}
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

// rss is the process's resident set in bytes.
func rss(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
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
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
