package money

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzParse: whatever is typed as an amount is refused or parsed to money
// that formats back to the same money — never a panic, never an amount
// silently scaled.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1234.50 EUR", "RSD 100", "0.001 BHD", "1,234.50 EUR", "-5 USD", "99999999999999999999 JPY", "1e3 EUR", ". EUR", "12.345 EUR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(Format(m))
		if err != nil {
			t.Fatalf("Parse(%q) = %v, whose format %q does not parse: %v", s, m, Format(m), err)
		}
		if !proto.Equal(back, m) {
			t.Fatalf("Parse(%q) = %v, but its format %q parses to %v", s, m, Format(m), back)
		}
	})
}
