package vault

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// benchCaseID has the shape of a real case id (a UUID), since the id is
// stored in every ciphertext header and so counts towards overhead.
const benchCaseID = "c7f9a2e4-1b3d-4e5f-8a9b-0c1d2e3f4a5b"

var benchSizes = []int{64, 4 << 10}

func BenchmarkWrapCaseKey(b *testing.B) {
	_, infos := newTestKeyring(b, 1)
	key := newTestCaseKey(b)
	var n int
	for b.Loop() {
		w, err := WrapCaseKey(key, benchCaseID, infos[0].Recipient)
		if err != nil {
			b.Fatal(err)
		}
		n = len(w)
	}
	b.ReportMetric(float64(n), "wrapped-B")
}

func BenchmarkUnwrapCaseKey(b *testing.B) {
	kr, infos := newTestKeyring(b, 1)
	key := newTestCaseKey(b)
	wrapped, err := WrapCaseKey(key, benchCaseID, infos[0].Recipient)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k, err := kr.UnwrapCaseKey(wrapped, benchCaseID)
		if err != nil {
			b.Fatal(err)
		}
		k.Wipe()
	}
}

func BenchmarkSeal(b *testing.B) {
	key := newTestCaseKey(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := make([]byte, size)
			rand.Read(pt)
			b.SetBytes(int64(size))
			var ct []byte
			for b.Loop() {
				var err error
				ct, err = seal(key, benchCaseID, dataclass.Contact, pt)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ct)-len(pt)), "overhead-B/field")
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	key := newTestCaseKey(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := make([]byte, size)
			rand.Read(pt)
			ct, err := seal(key, benchCaseID, dataclass.Contact, pt)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := open(key, benchCaseID, dataclass.Contact, ct); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ct)-len(pt)), "overhead-B/field")
		})
	}
}

func BenchmarkKeyCacheGet(b *testing.B) {
	const cases = 1024
	c := NewKeyCache(cases, time.Hour)
	ids := make([]string, cases)
	for i := range ids {
		ids[i] = fmt.Sprintf("case-%04d", i)
		c.Put(ids[i], newTestCaseKey(b))
	}
	i := 0
	for b.Loop() {
		k, ok := c.Get(ids[i%cases])
		if !ok {
			b.Fatal("miss")
		}
		k.Wipe()
		i++
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
