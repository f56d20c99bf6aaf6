package disclosure

import (
	"slices"
	"testing"
)

// holding is n cases of one nationality recorded by one organisation ("" when
// the caller does not say whose they are), identified in 2017.
type holding struct {
	nat string
	org string
	n   int64
}

// paddedGroups lays out a one-dimension table by year, filtered to the
// nationalities in sel: the holdings in 2017, and beside them in 2018 ten
// Ukrainians of cso-c and ten Belarusians of ngo-d, so that the table has
// a second cell that no rule concerns.
func paddedGroups(in2017 []holding, sel []string) []Group {
	var out []Group
	add := func(year string, h holding) {
		g := Group{Values: [][]string{{year}}, Count: h.n, Org: h.org, Own: []string{h.nat}, Via: []string{""}}
		if slices.Contains(sel, h.nat) {
			g.Via[0] = h.nat
		} else {
			g.Fails = 1
		}
		out = append(out, g)
	}
	for _, h := range in2017 {
		add("2017", h)
	}
	add("2018", holding{"UA", "cso-c", 10})
	add("2018", holding{"BY", "ngo-d", 10})
	return out
}

// TestPaddedDifferenceIsWithheld: each differencing rule measures a
// difference between two queries an attacker could ask. An organisation
// that put cases of its own into that difference knows them and takes them
// out, so a difference of k or more that is 1 to k-1 without one
// organisation's share isolates as much as a small one. legal-b's one
// Eritrean is the person each padded table would single out; the controls
// have the same counts without an organisation that could subtract its own
// (or with one whose cases are not said), and are published as before.
func TestPaddedDifferenceIsWithheld(t *testing.T) {
	const k = 5
	victim := holding{"ER", "legal-b", 1}
	for _, tc := range []struct {
		name string
		in   []holding
		sel  []string
		want Reason
	}{
		// Filtered to UA, the cell differs from the unfiltered one by the
		// 6 Eritreans: shelter-a subtracts her 5 and is left with one.
		{"complement padded", []holding{{"UA", "cso-c", 10}, victim, {"ER", "shelter-a", 5}}, []string{"UA"}, Complement},
		{"complement of one organisation", []holding{{"UA", "cso-c", 10}, {"ER", "legal-b", 6}}, []string{"UA"}, Published},
		{"complement of cases whose organisation is not said", []holding{{"UA", "cso-c", 10}, victim, {"ER", "", 5}}, []string{"UA"}, Published},
		// UA or ER differs from UA by the 5 Eritreans, 4 of them shelter-a's.
		{"selection padded", []holding{{"UA", "cso-c", 20}, victim, {"ER", "shelter-a", 4}, {"BY", "ngo-d", 10}}, []string{"UA", "ER"}, SmallSelection},
		{"selection of one organisation", []holding{{"UA", "cso-c", 20}, {"ER", "legal-b", 5}, {"BY", "ngo-d", 10}}, []string{"UA", "ER"}, Published},
		// All less UA less BY is the rare ER and AF, 5 together, 4 of them
		// shelter-a's.
		{"remainder padded", []holding{{"UA", "cso-c", 20}, {"BY", "ngo-d", 10}, victim, {"AF", "shelter-a", 4}}, []string{"UA"}, SmallRemainder},
		{"remainder of one organisation", []holding{{"UA", "cso-c", 20}, {"BY", "ngo-d", 10}, victim, {"AF", "legal-b", 4}}, []string{"UA"}, Published},
		// The Eritreans are 5, not rare, but ER cannot be asked alone (one
		// organisation holds all but one of them): all less UA less BY is
		// still the 5, and shelter-a's 4 taken out leave one.
		{"remainder padded past k", []holding{{"UA", "cso-c", 20}, {"BY", "ngo-d", 10}, victim, {"ER", "shelter-a", 4}}, []string{"UA"}, SmallRemainder},
		{"remainder past k of one organisation", []holding{{"UA", "cso-c", 20}, {"BY", "ngo-d", 10}, {"ER", "legal-b", 5}}, []string{"UA"}, Published},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Protect(paddedGroups(tc.in, tc.sel), Options{K: k, Dims: 1, Filters: 1})
			if err != nil {
				t.Fatal(err)
			}
			var got, other *Cell
			for _, c := range tab.Full() {
				switch c.Values[0] {
				case "2017":
					got = c
				case "2018":
					other = c
				}
			}
			if got == nil || other == nil {
				t.Fatalf("table without its two years: %v", tab.Cells)
			}
			if got.Reason != tc.want {
				t.Errorf("2017 (%v) is %v, want %v", tc.in, got.Reason, tc.want)
			} else if tc.want != Published && got.Filter != 0 {
				t.Errorf("2017 withheld for filter %d, want 0", got.Filter)
			}
			if other.Reason.Primary() {
				t.Errorf("2018 withheld as %v: nothing in it is padded", other.Reason)
			}
		})
	}
}
