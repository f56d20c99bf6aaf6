// Package blobstoretest is the conformance suite every blobstore.Store must
// pass: run it from the store's own tests against a real store.
//
//	func TestConformance(t *testing.T) {
//		blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return newStore(t) })
//	}
//
// Each test uses fresh random ids, so stores may be shared between tests
// (one bucket, one database).
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/blobstore"
)

// Sizes are the object sizes of the round trip: empty, tiny, around 64 KiB
// (age's STREAM chunk), around 1 MiB, and beyond 5 MiB (the smallest part
// of an S3 multipart upload), so every chunking boundary a store may have
// is crossed.
var Sizes = []int{0, 1, 1000, 64 << 10, 64<<10 + 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 6<<20 + 3}

// NewID returns a fresh object id.
func NewID() string { return uuid.NewString() }

// Run runs every conformance test against the store newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) blobstore.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("OpenAbsent", func(t *testing.T) { testOpenAbsent(t, newStore(t)) })
	t.Run("DeleteIsIdempotent", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("PutReplaces", func(t *testing.T) { testReplace(t, newStore(t)) })
	t.Run("FailedPutLeavesNothing", func(t *testing.T) { testFailedPut(t, newStore(t)) })
	t.Run("CancelledPutLeavesNothing", func(t *testing.T) { testCancelledPut(t, newStore(t)) })
	t.Run("FailedReplaceKeepsTheOld", func(t *testing.T) { testFailedReplace(t, newStore(t)) })
	t.Run("InvalidIDs", func(t *testing.T) { testInvalidIDs(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("CloseEarly", func(t *testing.T) { testCloseEarly(t, newStore(t)) })
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Random returns n random bytes (ciphertext is indistinguishable from them).
func Random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// unevenReader hands out its data in reads of varying sizes, as a network
// stream does, so a store that assumes full reads fails.
type unevenReader struct {
	data []byte
	n    int
}

func (r *unevenReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n++
	want := []int{1, 7, 4096, 65535, 100_000, 1 << 20}[r.n%6]
	want = min(want, len(p), len(r.data))
	copy(p, r.data[:want])
	r.data = r.data[want:]
	return want, nil
}

// failingReader returns data, then err instead of EOF.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// ReadAll opens id and returns its content.
func ReadAll(ctx context.Context, s blobstore.Store, id string) ([]byte, error) {
	rc, err := s.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func mustPut(t *testing.T, s blobstore.Store, id string, data []byte) {
	t.Helper()
	n, err := s.Put(ctxOf(t), id, &unevenReader{data: data})
	if err != nil {
		t.Fatalf("Put %d bytes: %v", len(data), err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put %d bytes reported %d", len(data), n)
	}
}

func mustRead(t *testing.T, s blobstore.Store, id string, want []byte) {
	t.Helper()
	got, err := ReadAll(ctxOf(t), s, id)
	if err != nil {
		t.Fatalf("read back %d bytes: %v", len(want), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (sha256 %x), want %d (sha256 %x)", len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

func mustBeAbsent(t *testing.T, s blobstore.Store, id string) {
	t.Helper()
	rc, err := s.Open(ctxOf(t), id)
	if err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		t.Fatalf("Open found an object of %d bytes, want ErrNotFound", len(b))
	}
	if !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("Open: %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, s blobstore.Store) {
	for _, size := range Sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id, data := NewID(), Random(t, size)
			mustPut(t, s, id, data)
			mustRead(t, s, id, data)
			// A second reader of the same object reads it all again.
			mustRead(t, s, id, data)
		})
	}
}

func testOpenAbsent(t *testing.T, s blobstore.Store) {
	mustBeAbsent(t, s, NewID())
}

func testDelete(t *testing.T, s blobstore.Store) {
	ctx := ctxOf(t)
	if err := s.Delete(ctx, NewID()); err != nil {
		t.Fatalf("Delete of an absent object: %v", err)
	}
	keep, gone := NewID(), NewID()
	keepData := Random(t, 70_000)
	mustPut(t, s, keep, keepData)
	mustPut(t, s, gone, Random(t, 70_000))
	for range 2 {
		if err := s.Delete(ctx, gone); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		mustBeAbsent(t, s, gone)
	}
	mustRead(t, s, keep, keepData)
}

func testReplace(t *testing.T, s blobstore.Store) {
	id := NewID()
	mustPut(t, s, id, Random(t, 2<<20))
	second := Random(t, 1000)
	mustPut(t, s, id, second)
	mustRead(t, s, id, second)
}

var errBroken = errors.New("the client went away")

func testFailedPut(t *testing.T, s blobstore.Store) {
	for _, size := range []int{0, 1000, 1<<20 + 5, 6<<20 + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := NewID()
			_, err := s.Put(ctxOf(t), id, &failingReader{r: &unevenReader{data: Random(t, size)}, err: errBroken})
			if !errors.Is(err, errBroken) {
				t.Fatalf("Put over a failing reader: %v, want the reader's error", err)
			}
			mustBeAbsent(t, s, id)
		})
	}
}

// blockingReader hands out data until it is drained, then waits for its
// context to end.
type blockingReader struct {
	ctx  context.Context
	data []byte
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func testCancelledPut(t *testing.T, s blobstore.Store) {
	id := NewID()
	ctx, cancel := context.WithCancel(ctxOf(t))
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	_, err := s.Put(ctx, id, &blockingReader{ctx: ctx, data: Random(t, 3<<20)})
	if err == nil {
		t.Fatal("Put whose context ended succeeded")
	}
	mustBeAbsent(t, s, id)
}

func testFailedReplace(t *testing.T, s blobstore.Store) {
	id, old := NewID(), Random(t, 100_000)
	mustPut(t, s, id, old)
	_, err := s.Put(ctxOf(t), id, &failingReader{r: &unevenReader{data: Random(t, 2<<20)}, err: errBroken})
	if !errors.Is(err, errBroken) {
		t.Fatalf("Put over a failing reader: %v, want the reader's error", err)
	}
	mustRead(t, s, id, old)
}

func testInvalidIDs(t *testing.T, s blobstore.Store) {
	ctx := ctxOf(t)
	for _, id := range []string{"", "../etc/passwd", "a/b", "UPPER", "-lead", "x y", string(bytes.Repeat([]byte("a"), 129))} {
		if _, err := s.Put(ctx, id, bytes.NewReader([]byte("x"))); !errors.Is(err, blobstore.ErrInvalidID) {
			t.Errorf("Put(%q): %v, want ErrInvalidID", id, err)
		}
		if _, err := s.Open(ctx, id); !errors.Is(err, blobstore.ErrInvalidID) {
			t.Errorf("Open(%q): %v, want ErrInvalidID", id, err)
		}
		if err := s.Delete(ctx, id); !errors.Is(err, blobstore.ErrInvalidID) {
			t.Errorf("Delete(%q): %v, want ErrInvalidID", id, err)
		}
	}
}

func testConcurrent(t *testing.T, s blobstore.Store) {
	const n = 4
	ids := make([]string, n)
	datas := make([][]byte, n)
	for i := range n {
		ids[i], datas[i] = NewID(), Random(t, 300_000+i)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Put(ctxOf(t), ids[i], bytes.NewReader(datas[i]))
			if errs[i] == nil {
				var got []byte
				got, errs[i] = ReadAll(ctxOf(t), s, ids[i])
				if errs[i] == nil && !bytes.Equal(got, datas[i]) {
					errs[i] = fmt.Errorf("object %d read back wrong (%d bytes)", i, len(got))
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
}

func testCloseEarly(t *testing.T, s blobstore.Store) {
	id, data := NewID(), Random(t, 3<<20)
	mustPut(t, s, id, data)
	for range 3 {
		rc, err := s.Open(ctxOf(t), id)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[:10]) {
			t.Fatal("first bytes differ")
		}
		if err := rc.Close(); err != nil {
			t.Fatalf("Close before EOF: %v", err)
		}
	}
	// The store still serves and deletes after readers gave up early.
	mustRead(t, s, id, data)
	if err := s.Delete(ctxOf(t), id); err != nil {
		t.Fatal(err)
	}
	mustBeAbsent(t, s, id)
}
