package pagetoken

import (
	"slices"
	"testing"
)

// FuzzDecode: any token a client sends is either refused with ErrInvalid
// or names exactly nkeys keys under the filter it was made for — never a
// panic, never another filter's position.
func FuzzDecode(f *testing.F) {
	f.Add(Encode("f1", "2026-01-01", "id-1"), "f1", 2)
	f.Add(Encode("f1", "x"), "f2", 1)
	f.Add("eyJmIjoiIn0", "", 0)
	f.Add("!!!", "f", 1)
	f.Fuzz(func(t *testing.T, tok, filter string, nkeys int) {
		keys, err := Decode(tok, filter, nkeys)
		if err != nil {
			if err != ErrInvalid {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			return
		}
		if tok == "" {
			if keys != nil {
				t.Fatalf("empty token gave keys %q", keys)
			}
			return
		}
		if len(keys) != nkeys {
			t.Fatalf("%d keys, want %d", len(keys), nkeys)
		}
		again, err := Decode(Encode(filter, keys...), filter, nkeys)
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("round trip of %q: %q %v", keys, again, err)
		}
	})
}
