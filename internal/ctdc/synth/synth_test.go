package synth_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/ctdc/synth"
)

func generate(t *testing.T, n int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := synth.Write(&b, n, seed); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDeterministic: the same seed gives the same bytes, another seed others.
func TestDeterministic(t *testing.T) {
	a, b := generate(t, 2000, 7), generate(t, 2000, 7)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	if bytes.Equal(a, generate(t, 2000, 8)) {
		t.Fatal("two seeds gave the same file")
	}
}

// TestSkew: every line reads with the CTDC reader, and the proportions,
// unknowns, repeated persons and rare tail are those of the published file.
func TestSkew(t *testing.T) {
	const n = synth.DefaultRows
	data := generate(t, n, synth.DefaultSeed)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != strings.Join(synth.Header, ",") {
		t.Fatalf("header %q", lines[0])
	}
	r, err := ctdc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	prevYear := int32(0)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || row.GetParseError() != "" {
			t.Fatalf("line %d: %v %s", row.GetLine(), err, row.GetParseError())
		}
		c := row.GetCoded()
		if c.GetIdentificationYear() < prevYear {
			t.Fatalf("line %d: year %d after %d: rows are not ordered by year", row.GetLine(), c.GetIdentificationYear(), prevYear)
		}
		prevYear = c.GetIdentificationYear()
		count["rows"]++
		count["sex "+c.GetSex().String()]++
		count["status "+c.GetIdentificationStatus().String()]++
		count["nat "+c.GetNationality()]++
		count["child "+c.GetChild().String()]++
		for _, f := range c.GetExploitationForms() {
			count["form "+f.String()]++
		}
	}
	if count["rows"] != n {
		t.Fatalf("%d rows, want %d", count["rows"], n)
	}
	share := func(key string, lo, hi float64) {
		t.Helper()
		if s := float64(count[key]) / n; s < lo || s > hi {
			t.Errorf("%s: share %.3f, want %.2f–%.2f (published file's share inside)", key, s, lo, hi)
		}
	}
	share("sex SEX_FEMALE", 0.80, 0.93)                        // 0.87
	share("status IDENTIFICATION_STATUS_PRESUMED", 0.76, 0.90) // 0.84 hotline
	share("nat ", 0.48, 0.68)                                  // 0.58 unknown citizenship
	share("nat US", 0.17, 0.33)                                // 0.25
	share("form EXPLOITATION_FORM_SEXUAL", 0.76, 0.90)         // 0.83
	share("form EXPLOITATION_FORM_FORCED_LABOUR", 0.10, 0.23)  // 0.16
	share("child CHILD_STATUS_CHILD", 0.28, 0.46)              // 0.36
	if count["nat ER"] != 1 || count["nat AF"] != 4 {
		t.Errorf("rare tail: %d ER, %d AF rows, want 1 and 4", count["nat ER"], count["nat AF"])
	}
	// Unknown isForcedLabour appears, and persons repeat on rows that
	// differ only in the means of control (column 6).
	if !bytes.Contains(data, []byte(",-99,")) {
		t.Error("no unknown isForcedLabour (-99)")
	}
	groups := map[string]int{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		groups[strings.Join(append(f[:5:5], f[6:]...), ",")]++
	}
	repeated := 0
	for _, g := range groups {
		if g > 1 {
			repeated += g
		}
	}
	if s := float64(repeated) / n; s < 0.5 {
		t.Errorf("only %.2f of rows repeat a person; the published file has most rows in repeated groups", s)
	}
}

func TestTooFewRows(t *testing.T) {
	if err := synth.Write(io.Discard, 3, 1); err == nil {
		t.Fatal("3 rows accepted")
	}
}
