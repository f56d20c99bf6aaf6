package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/casebridge/casebridge/internal/dataclass"
)

var allClasses = []dataclass.Class{dataclass.Identity, dataclass.Contact, dataclass.Care, dataclass.Legal}

func TestSealOpenRoundTrip(t *testing.T) {
	key := newTestCaseKey(t)
	random := make([]byte, 70<<10) // crosses age's 64 KiB chunk boundary
	rand.Read(random)

	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", []byte{}},
		{"name", []byte("Ana María Popescu")},
		{"binary with zeros", []byte{0, 1, 2, 0, 255, '\n', 0}},
		{"4 KiB", bytes.Repeat([]byte("care note "), 410)[:4096]},
		{"exactly one chunk", random[:64<<10]},
		{"multi-chunk", random},
	}
	for _, class := range allClasses {
		for _, tt := range tests {
			t.Run(string(class)+"/"+tt.name, func(t *testing.T) {
				ct, err := seal(key, "case-42", class, tt.plaintext)
				if err != nil {
					t.Fatalf("Seal: %v", err)
				}
				got, err := open(key, "case-42", class, ct)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(got, tt.plaintext) {
					t.Error("round trip changed the plaintext")
				}
			})
		}
	}
}

func TestSealIsRealAgeBoundToCaseAndClass(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := seal(key, "case-42", dataclass.Contact, []byte("+40 721 000 000"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(ct, []byte("age-encryption.org/v1\n-> casebridge-casekey case-42 contact\n")) {
		t.Errorf("ciphertext does not start with the expected age header:\n%q", ct[:min(len(ct), 80)])
	}
	if bytes.Contains(ct, []byte("-----BEGIN")) {
		t.Error("ciphertext is armored; want binary age")
	}
}

func TestCiphertextDoesNotContainPlaintext(t *testing.T) {
	key := newTestCaseKey(t)
	plaintexts := [][]byte{
		[]byte("Shelter Nord, Strada Libertatii 12, room 3"),
		bytes.Repeat([]byte("A"), 4096), // low entropy: any leak would show
	}
	for _, pt := range plaintexts {
		ct, err := seal(key, "case-1", dataclass.Contact, pt)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(ct, pt) {
			t.Error("ciphertext contains the plaintext")
		}
		for i := 0; i+8 <= len(pt); i += 8 {
			if bytes.Contains(ct, pt[i:i+8]) {
				t.Fatalf("ciphertext contains plaintext fragment %q", pt[i:i+8])
			}
		}
		if bytes.Contains(ct, key.b[:]) {
			t.Error("ciphertext contains the case key")
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	key := newTestCaseKey(t)
	a, err := seal(key, "case-1", dataclass.Care, []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal(key, "case-1", dataclass.Care, []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("sealing the same value twice gave identical ciphertexts")
	}
}

func TestOpenWrongBinding(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := seal(key, "case-1", dataclass.Identity, []byte("real name"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caseID string
		class  dataclass.Class
	}{
		{"another case", "case-2", dataclass.Identity},
		{"case id prefix", "case-", dataclass.Identity},
		{"case id extension", "case-10", dataclass.Identity},
		{"another class", "case-1", dataclass.Contact},
		{"another case and class", "case-2", dataclass.Legal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(key, tt.caseID, tt.class, ct)
			if !errors.Is(err, ErrWrongBinding) {
				t.Errorf("Open error = %v, want ErrWrongBinding", err)
			}
			if got != nil {
				t.Error("Open returned plaintext")
			}
		})
	}
}

func TestOpenWithAnotherCasesKeyFails(t *testing.T) {
	key := newTestCaseKey(t)
	other := newTestCaseKey(t)
	ct, err := seal(key, "case-1", dataclass.Care, []byte("diagnosis"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(other, "case-1", dataclass.Care, ct); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open with another key: error = %v, want ErrCorrupt", err)
	}
}

func TestOpenRejectsHeaderRebinding(t *testing.T) {
	// An attacker with database write access rewrites the clear-text binding
	// to move a ciphertext into another case: the AAD catches it.
	key := newTestCaseKey(t)
	ct, err := seal(key, "case-1", dataclass.Legal, []byte("asylum claim"))
	if err != nil {
		t.Fatal(err)
	}
	moved := bytes.Replace(ct, []byte(" case-1 legal\n"), []byte(" case-2 legal\n"), 1)
	if bytes.Equal(moved, ct) {
		t.Fatal("test setup: header not rewritten")
	}
	if _, err := open(key, "case-2", dataclass.Legal, moved); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open rebound ciphertext: error = %v, want ErrCorrupt", err)
	}
	reclassed := bytes.Replace(ct, []byte(" legal\n"), []byte(" care\n"), 1)
	if _, err := open(key, "case-1", dataclass.Care, reclassed); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open reclassed ciphertext: error = %v, want ErrCorrupt", err)
	}
}

func TestOpenTampered(t *testing.T) {
	key := newTestCaseKey(t)
	pt := []byte("Ana, born 2004, Iasi")
	ct, err := seal(key, "case-1", dataclass.Identity, pt)
	if err != nil {
		t.Fatal(err)
	}
	// Every single-bit flip anywhere in the file must be detected.
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			tampered := bytes.Clone(ct)
			tampered[i] ^= bit
			got, err := open(key, "case-1", dataclass.Identity, tampered)
			if err == nil {
				t.Fatalf("flip %#x at byte %d: Open succeeded", bit, i)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongBinding) {
				t.Fatalf("flip %#x at byte %d: error = %v, want ErrCorrupt or ErrWrongBinding", bit, i, err)
			}
			if got != nil {
				t.Fatalf("flip at byte %d: plaintext returned", i)
			}
		}
	}

	tests := map[string][]byte{
		"truncated":     ct[:len(ct)-1],
		"no payload":    ct[:bytes.Index(ct, []byte("\n---"))+1],
		"empty":         nil,
		"trailing byte": append(bytes.Clone(ct), 0),
		"not age":       []byte("plain text in the column"),
	}
	for name, in := range tests {
		if _, err := open(key, "case-1", dataclass.Identity, in); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestOpenRejectsForeignAgeFiles(t *testing.T) {
	// A value encrypted to an X25519 recipient (e.g. a wrapped case key
	// pasted into a field column) is not a sealed field.
	_, infos := newTestKeyring(t, 1)
	key := newTestCaseKey(t)
	wrapped, err := WrapCaseKey(key, "case-1", infos[0].Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(key, "case-1", dataclass.Care, wrapped); !errors.Is(err, ErrCorrupt) {
		t.Errorf("error = %v, want ErrCorrupt", err)
	}
}

func TestSealOpenRejectInvalidInput(t *testing.T) {
	key := newTestCaseKey(t)
	wiped := newTestCaseKey(t)
	wiped.Wipe()
	ct, err := seal(key, "case-1", dataclass.Care, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    *CaseKey
		caseID string
		class  dataclass.Class
		want   error
	}{
		{"nil key", nil, "case-1", dataclass.Care, ErrWipedKey},
		{"wiped key", wiped, "case-1", dataclass.Care, ErrWipedKey},
		{"unknown class", key, "case-1", dataclass.Class("medical"), ErrInvalidClass},
		{"empty class", key, "case-1", dataclass.Class(""), ErrInvalidClass},
		{"empty case id", key, "", dataclass.Care, ErrInvalidCaseID},
		{"space in case id", key, "case 1", dataclass.Care, ErrInvalidCaseID},
		{"newline in case id", key, "case-1\n", dataclass.Care, ErrInvalidCaseID},
		{"non-ASCII case id", key, "caz-ă", dataclass.Care, ErrInvalidCaseID},
		{"too long case id", key, strings.Repeat("c", maxCaseIDLen+1), dataclass.Care, ErrInvalidCaseID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := seal(tt.key, tt.caseID, tt.class, []byte("x")); !errors.Is(err, tt.want) {
				t.Errorf("Seal error = %v, want %v", err, tt.want)
			}
			if _, err := open(tt.key, tt.caseID, tt.class, ct); !errors.Is(err, tt.want) {
				t.Errorf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestErrorsDoNotLeakForeignCaseID(t *testing.T) {
	key := newTestCaseKey(t)
	ct, err := seal(key, "secret-case-77", dataclass.Contact, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = open(key, "case-1", dataclass.Contact, ct)
	if err == nil || strings.Contains(err.Error(), "secret-case-77") {
		t.Errorf("error = %v; want an error that does not name the other case", err)
	}
}

func TestOpenRejectsExtraRecipients(t *testing.T) {
	// A file whose key is also wrapped to someone else was not made by Seal
	// and must not be accepted as a sealed field.
	key := newTestCaseKey(t)
	fk, err := newFieldKey(key, "case-1", dataclass.Care)
	if err != nil {
		t.Fatal(err)
	}
	eve, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, fk, eve.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("note"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := open(key, "case-1", dataclass.Care, buf.Bytes()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("error = %v, want ErrCorrupt", err)
	}
}
