package dataclass

import (
	"errors"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestEverySpellingRoundTrips: every API enum value but UNSPECIFIED is a
// class, and each class converts to the enum, to its stored number and to
// its mask bit and back; the bits are distinct.
func TestEverySpellingRoundTrips(t *testing.T) {
	if len(All) != len(casebridgev1.DataClass_name)-1 {
		t.Fatalf("%d classes, the API has %d", len(All), len(casebridgev1.DataClass_name)-1)
	}
	bits := int16(0)
	for i, c := range All {
		if got := FromProto(c.Proto()); got != c {
			t.Errorf("%s: proto round trip gives %q", c, got)
		}
		if got := FromStored(c.Stored()); got != c {
			t.Errorf("%s: stored round trip gives %q", c, got)
		}
		if int(c.Proto()) != i+1 {
			t.Errorf("%s is not in API order", c)
		}
		if bits&c.Bit() != 0 {
			t.Errorf("%s: bit %b taken", c, c.Bit())
		}
		bits |= c.Bit()
	}
	if FromProto(casebridgev1.DataClass_DATA_CLASS_UNSPECIFIED) != "" || FromStored(99) != "" {
		t.Error("an unspecified or unknown value names a class")
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Class
	}{{"identity", Identity}, {"contact", Contact}, {"care", Care}, {"legal", Legal}} {
		if got, err := Parse(tt.in); err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"", "Identity", "medical", "care "} {
		if _, err := Parse(in); !errors.Is(err, ErrUnknown) {
			t.Errorf("Parse(%q): %v, want ErrUnknown", in, err)
		}
	}
}
