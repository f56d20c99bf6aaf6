package s3store_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/casebridge/casebridge/internal/blobstore/blobstoretest"
	"github.com/casebridge/casebridge/internal/blobstore/s3store"
	"github.com/casebridge/casebridge/internal/s3test"
)

// BenchmarkRawS3 is the object store's own write and read speed (MB/s) with
// the store's default part size, the baseline the documents' upload and
// download throughput over S3 is read against.
func BenchmarkRawS3(b *testing.B) {
	cfg := s3test.Bucket(b)
	s, err := s3store.New(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int64{1 << 20, 10 << 20, 64 << 20} {
		b.Run(fmt.Sprintf("Put/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if _, err := s.Put(b.Context(), blobstoretest.NewID(), newGenerator(size, 7)); err != nil {
					b.Fatal(err)
				}
			}
		})
		id := blobstoretest.NewID()
		if _, err := s.Put(b.Context(), id, newGenerator(size, 7)); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Get/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			buf := make([]byte, 256<<10)
			for b.Loop() {
				rc, err := s.Open(b.Context(), id)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, rc, buf)
				rc.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
