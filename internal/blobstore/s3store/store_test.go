package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/blobstore/blobstoretest"
	"github.com/casebridge/casebridge/internal/blobstore/s3store"
	"github.com/casebridge/casebridge/internal/s3test"
)

// newStore opens a store over a fresh bucket with the smallest part S3
// allows, so that the conformance suite's 6 MiB object goes up in parts.
func newStore(t *testing.T) (*s3store.Store, s3store.Config) {
	t.Helper()
	cfg := s3test.Bucket(t)
	cfg.PartSize = s3store.MinPartSize
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("s3store.New: %v", err)
	}
	return s, cfg
}

func TestConformance(t *testing.T) {
	s, _ := newStore(t)
	blobstoretest.Run(t, func(*testing.T) blobstore.Store { return s })
}

// The bucket holds the objects under their ids and nothing else: no
// prefix, no metadata, the bytes as given.
func TestObjectsAreNamedByTheirIDOnly(t *testing.T) {
	s, cfg := newStore(t)
	ctx := t.Context()
	raw := s3test.Client(cfg)
	want := map[string][]byte{}
	for _, size := range []int{0, 1000, s3store.MinPartSize + 10} {
		id := blobstoretest.NewID()
		want[id] = blobstoretest.Random(t, size)
		if _, err := s.Put(ctx, id, bytes.NewReader(want[id])); err != nil {
			t.Fatal(err)
		}
	}
	list, err := raw.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, *o.Key)
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(keys)
	slices.Sort(ids)
	if !slices.Equal(keys, ids) {
		t.Fatalf("bucket keys %q, want exactly the ids %q", keys, ids)
	}
	for id, data := range want {
		out, err := raw.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("object %d bytes: stored %d bytes that differ from what was put", len(data), len(got))
		}
		if len(out.Metadata) != 0 {
			t.Errorf("object carries metadata %v, want none", out.Metadata)
		}
		if ct := aws.ToString(out.ContentType); ct != "application/octet-stream" {
			t.Errorf("content type %q, want application/octet-stream", ct)
		}
	}
}

// generator yields left bytes of a seeded ChaCha8 stream without holding
// them.
type generator struct {
	left int64
	rng  *rand.ChaCha8
}

func newGenerator(size int64, seed byte) *generator {
	return &generator{left: size, rng: rand.NewChaCha8([32]byte{seed})}
}

func (g *generator) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.left)]
	_, _ = g.rng.Read(p)
	g.left -= int64(len(p))
	return len(p), nil
}

// A large object goes up as a multipart upload of part-sized pieces, and
// the store holds no more than its parts in flight: the heap stays far
// below the object's size while it streams through.
func TestLargeObjectStreamsInParts(t *testing.T) {
	s, cfg := newStore(t)
	ctx := t.Context()
	const size = 48 << 20
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	id := blobstoretest.NewID()
	n, err := s.Put(ctx, id, newGenerator(size, 1))
	close(done)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Fatalf("Put reported %d bytes, want %d", n, size)
	}
	growth := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("heap growth while streaming %d MiB in %d MiB parts: %.1f MiB", size>>20, cfg.PartSize>>20, float64(growth)/(1<<20))
	if limit := int64(40 << 20); growth > limit {
		t.Errorf("heap grew by %d MiB while streaming %d MiB, want under %d MiB (two parts and the client's buffers)", growth>>20, size>>20, limit>>20)
	}
	head, err := s3test.Client(cfg).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	// A multipart object's ETag ends in -<number of parts>.
	if etag, parts := aws.ToString(head.ETag), "-10\""; !strings.HasSuffix(etag, parts) {
		t.Errorf("ETag %s: want a multipart upload of 10 parts (suffix %s)", etag, parts)
	}
	rc, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := newGenerator(size, 1)
	if err := sameStream(rc, want); err != nil {
		t.Fatal(err)
	}
}

func sameStream(got, want io.Reader) error {
	a, b := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := 0; ; off += len(a) {
		n, errA := io.ReadFull(got, a)
		m, errB := io.ReadFull(want, b)
		if !bytes.Equal(a[:n], b[:m]) {
			return fmt.Errorf("read back differs in the MiB at offset %d (%d bytes, want %d)", off, n, m)
		}
		if errA != nil || errB != nil {
			return nil
		}
	}
}

type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// cancelAtEnd hands out r, then ends the context and waits for it.
type cancelAtEnd struct {
	r      io.Reader
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *cancelAtEnd) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
		<-c.ctx.Done()
		return n, c.ctx.Err()
	}
	return n, err
}

// A Put that fails after some parts were sent leaves no unfinished
// multipart upload behind: its parts would linger in the bucket.
func TestFailedPutAbortsItsUpload(t *testing.T) {
	s, cfg := newStore(t)
	ctx := t.Context()
	broken := errors.New("client went away")
	_, err := s.Put(ctx, blobstoretest.NewID(), &failAfter{r: newGenerator(3*s3store.MinPartSize+7, 2), err: broken})
	if !errors.Is(err, broken) {
		t.Fatalf("Put: %v, want the reader's error", err)
	}
	// Parts are sent, then the caller goes away.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := s.Put(cctx, blobstoretest.NewID(), &cancelAtEnd{r: newGenerator(2*s3store.MinPartSize+1, 3), cancel: cancel, ctx: cctx}); err == nil {
		t.Fatal("Put whose context ended succeeded")
	}
	ups, err := s3test.Client(cfg).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d unfinished multipart uploads left in the bucket, want none", len(ups.Uploads))
	}
	list, err := s3test.Client(cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Fatalf("%d objects in the bucket after failed puts, want none", len(list.Contents))
	}
}

// New checks the bucket with the key pair, so a wrong setting stops the
// server at start with an error that says which, and never the secret.
func TestNewRefusesAWrongSetting(t *testing.T) {
	good := s3test.Bucket(t)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	cases := []struct {
		name string
		edit func(*s3store.Config)
		want string
	}{
		{"wrong secret", func(c *s3store.Config) { c.Credentials.SecretAccessKey = "wrong-secret-0123456789" }, "refused the configured key pair"},
		{"unknown key id", func(c *s3store.Config) { c.Credentials.AccessKeyID = "nobody-0123456789" }, "access key"},
		{"absent bucket", func(c *s3store.Config) { c.Bucket = "no-such-bucket-here" }, "does not exist"},
		{"nothing listening", func(c *s3store.Config) { c.Endpoint = closed }, "connect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			_, err := s3store.New(ctx, cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			for _, secret := range []string{cfg.Credentials.SecretAccessKey, good.Credentials.SecretAccessKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats the secret", err)
				}
			}
		})
	}
}
