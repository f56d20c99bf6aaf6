package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"runtime"
	"testing"

	"filippo.io/age"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// openWithAge is open without the fast path: age alone.
func openWithAge(t *testing.T, key *CaseKey, caseID string, class dataclass.Class, ct []byte) ([]byte, error) {
	t.Helper()
	fk, err := newFieldKey(key, caseID, class)
	if err != nil {
		t.Fatal(err)
	}
	ra, size, err := age.DecryptReaderAt(bytes.NewReader(ct), int64(len(ct)), fk)
	if err != nil {
		return nil, err
	}
	out := make([]byte, size)
	if n, err := ra.ReadAt(out, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, err
	}
	return out, nil
}

// The fast path opens exactly what age opens, to the same plaintext, for
// every size around the STREAM chunk boundaries.
func TestOpenFastAgreesWithAge(t *testing.T) {
	key := newTestCaseKey(t)
	for _, size := range []int{0, 1, 64, 4 << 10, ageChunkSize - 1, ageChunkSize, ageChunkSize + 1, 2 * ageChunkSize, 2*ageChunkSize + 7} {
		pt := make([]byte, size)
		rand.Read(pt)
		ct, err := seal(key, benchCaseID, dataclass.Legal, pt)
		if err != nil {
			t.Fatal(err)
		}
		fk, err := newFieldKey(key, benchCaseID, dataclass.Legal)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := openFast(fk, ct)
		if !ok {
			t.Fatalf("size %d: the fast path refused what seal wrote", size)
		}
		slow, err := openWithAge(t, key, benchCaseID, dataclass.Legal, ct)
		if err != nil {
			t.Fatalf("size %d: age: %v", size, err)
		}
		if !bytes.Equal(fast, pt) || !bytes.Equal(slow, pt) {
			t.Fatalf("size %d: fast path, age and the plaintext differ", size)
		}
	}
}

// Every change of one byte and every truncation or extension of a sealed
// value is refused by the fast path (and then by age, as open reports).
func TestOpenFastRefusesEveryTamper(t *testing.T) {
	key := newTestCaseKey(t)
	pt := []byte("Ana Petrović, passport P01234567")
	ct, err := seal(key, benchCaseID, dataclass.Identity, pt)
	if err != nil {
		t.Fatal(err)
	}
	fk, err := newFieldKey(key, benchCaseID, dataclass.Identity)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= flip
			if _, ok := openFast(fk, bad); ok {
				t.Fatalf("byte %d ^ %#x: the fast path accepted a changed ciphertext", i, flip)
			}
			if _, err := open(key, benchCaseID, dataclass.Identity, bad); err == nil {
				t.Fatalf("byte %d ^ %#x: open accepted a changed ciphertext", i, flip)
			}
		}
	}
	for n := range len(ct) {
		if _, ok := openFast(fk, ct[:n]); ok {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
	if _, ok := openFast(fk, append(bytes.Clone(ct), 0)); ok {
		t.Fatal("extended by a byte: accepted")
	}
}

// A value of another case, class or key is not opened by the fast path,
// and open still classifies it as age does.
func TestOpenFastRefusesOtherBindings(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := seal(key, benchCaseID, dataclass.Care, []byte("health notes"))
	if err != nil {
		t.Fatal(err)
	}
	other := newTestCaseKey(t)
	for name, tc := range map[string]struct {
		key    *CaseKey
		caseID string
		class  dataclass.Class
		want   error
	}{
		"another case":  {key, "another-case", dataclass.Care, ErrWrongBinding},
		"another class": {key, benchCaseID, dataclass.Legal, ErrWrongBinding},
		"another key":   {other, benchCaseID, dataclass.Care, ErrCorrupt},
	} {
		fk, err := newFieldKey(tc.key, tc.caseID, tc.class)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := openFast(fk, ct); ok {
			t.Errorf("%s: the fast path opened it", name)
		}
		if _, err := open(tc.key, tc.caseID, tc.class, ct); !errors.Is(err, tc.want) {
			t.Errorf("%s: open = %v, want %v", name, err, tc.want)
		}
	}
}

// Opening a small field allocates little more than its plaintext, not
// age's 64 KiB chunk buffer and re-marshalled header (about 88 KB a field
// before), nor crypto/hmac's states for its five keyed MACs.
func TestOpenAllocatesLittle(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := seal(key, benchCaseID, dataclass.Contact, make([]byte, 512))
	if err != nil {
		t.Fatal(err)
	}
	const runs = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := open(key, benchCaseID, dataclass.Contact, ct); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if perOpen := (after.TotalAlloc - before.TotalAlloc) / runs; perOpen > 2<<10 {
		t.Fatalf("open allocated %d bytes per 512-byte field, want at most 2 KiB", perOpen)
	}
}

// A key made, unwrapped or cached carries its derived wrapping key, and
// wiping clears it too.
func TestCaseKeyCarriesItsWrappingKey(t *testing.T) {
	k := newTestCaseKey(t)
	want, err := deriveWrapKey(&k.b)
	if err != nil {
		t.Fatal(err)
	}
	if k.wrap != want {
		t.Fatal("NewCaseKey did not derive the wrapping key")
	}
	if c := k.clone(); c.wrap != want {
		t.Fatal("clone lost the wrapping key")
	}
	cache := NewKeyCache(4, 1<<40)
	cache.Put("c", k)
	got, ok := cache.Get("c")
	if !ok || got.wrap != want {
		t.Fatal("the cache lost the wrapping key")
	}
	got.Wipe()
	if got.wrap != [32]byte{} {
		t.Fatal("Wipe left the wrapping key")
	}
	// A zero-valued wrapping key is derived on the fly, never used as is.
	bare := &CaseKey{b: k.b}
	ct, err := seal(bare, benchCaseID, dataclass.Care, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(k, benchCaseID, dataclass.Care, ct); err != nil {
		t.Fatalf("a value sealed by a key without its derived key: %v", err)
	}
}
