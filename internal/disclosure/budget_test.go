package disclosure

import (
	"testing"
	"time"
)

// TestExhaustedAuditWithholdsMore: an audit that runs out of its budget
// withholds every cell but the grand total as Unverified, which says
// nothing of a cell's size, those withheld before included, and says so
// in its report.
func TestExhaustedAuditWithholdsMore(t *testing.T) {
	groups := []Group{
		{Count: 40, Values: [][]string{{"RS"}, {"female"}}},
		{Count: 30, Values: [][]string{{"RS"}, {"male"}}},
		{Count: 2, Values: [][]string{{"MK"}, {"female"}}},
		{Count: 25, Values: [][]string{{"MK"}, {"male"}}},
		{Count: 20, Values: [][]string{{"AL"}, {"female"}}},
		{Count: 22, Values: [][]string{{"AL"}, {"male"}}},
	}
	full, err := Protect(groups, Options{K: 5, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]Reason{}
	for _, c := range full.Cells {
		before[key(c)] = c.Reason
	}
	if full.Audit.Exhausted {
		t.Fatal("an audit with the default budget ran out on a six-cell table")
	}
	tab, err := Protect(groups, Options{K: 5, Dims: 2, AuditBudget: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.Audit.Exhausted {
		t.Fatal("the report does not say the audit ran out")
	}
	if total := tab.Total(); total.Suppressed || total.Count != 139 {
		t.Fatalf("grand total %+v, want 139 published", total)
	}
	for _, c := range tab.Cells[1:] {
		if !c.Suppressed {
			t.Errorf("cell %s published by an audit that did not finish", key(c))
			continue
		}
		if c.Reason != Unverified {
			t.Errorf("cell %s (%v before) withheld as %v, want %v", key(c), before[key(c)], c.Reason, Unverified)
		}
		if c.Reason == Unverified && c.Reason.Primary() {
			t.Errorf("an unverified cell is called primary: it says nothing of its size")
		}
	}
}

// TestExhaustedAuditLabelsPinNothing: the grand total of a table whose
// audit ran out stays published, so the labels beside it must not give a
// cell away. With a cell of 1 kept "fewer than 5" and its neighbour of 5
// "at least 5" (the old behaviour), a total of 6 says the first is 1.
// Now no label says anything of a size, and the total leaves every
// listed cell every value from 1 to total-(listed-1).
func TestExhaustedAuditLabelsPinNothing(t *testing.T) {
	groups := []Group{
		{Count: 1, Values: [][]string{{"MK"}}},
		{Count: 5, Values: [][]string{{"RS"}}},
	}
	const k = 5
	tab, err := Protect(groups, Options{K: k, Dims: 1, AuditBudget: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	total := tab.Total()
	if total.Suppressed || total.Count != 6 {
		t.Fatalf("grand total %+v, want 6 published", total)
	}
	// What each label says of a listed cell, as the README tells readers.
	bounds := func(r Reason) (lo, hi int64) {
		switch r {
		case BelowK:
			return 1, k - 1
		case Unverified:
			return 1, unbounded
		}
		return k, unbounded
	}
	cells := tab.Cells[1:]
	for i, c := range cells {
		if !c.Suppressed {
			t.Fatalf("cell %s published by an audit that did not finish", key(c))
		}
		// The attacker's interval from the total: what the others can
		// hold at most and at least.
		lo, hi := bounds(c.Reason)
		var othersLo, othersHi int64
		for j, o := range cells {
			if j == i {
				continue
			}
			olo, ohi := bounds(o.Reason)
			othersLo += olo
			if ohi == unbounded || othersHi == unbounded {
				othersHi = unbounded
			} else {
				othersHi += ohi
			}
		}
		hi = min(hi, total.Count-othersLo)
		if othersHi != unbounded {
			lo = max(lo, total.Count-othersHi)
		}
		if lo > 1 || hi < k-1 {
			t.Errorf("cell %s (%v) narrowed to %d..%d by the total and the labels", key(c), c.Reason, lo, hi)
		}
	}
}

// TestExhaustedAuditWithholdsATotalTheListingPins: twelve listed
// nationalities of one case each and a total of 12 say that each is one
// person, with no figure but the total. An audit out of time used to keep
// that total; now it keeps a total only when the listing leaves every
// cell room for 1 to k-1 beside it — here, with the total withheld, the
// table says nothing. A forms table past MaxMultiValuedAtoms, withheld at
// once, is judged by its nationalities the same way.
func TestExhaustedAuditWithholdsATotalTheListingPins(t *testing.T) {
	orgs := []string{"shelter-a", "legal-b", "cso-c"}
	var single, forms []Group
	for i := range MaxMultiValuedAtoms + 1 {
		nat := string(rune('A'+i/26)) + string(rune('A'+i%26))
		if i < 12 {
			single = append(single, Group{Count: 1, Values: [][]string{{nat}}, Org: orgs[i%3]})
		}
		var fs []string
		for b, f := range []string{"sex", "lab", "beg"} {
			if (i+1)&(1<<b) != 0 {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			fs = []string{"sex"}
		}
		forms = append(forms, Group{Count: 1, Values: [][]string{{nat}, fs}, Org: orgs[i%3]})
	}
	for _, tc := range []struct {
		name   string
		groups []Group
		opt    Options
	}{
		{"single values, out of time", single, Options{K: 5, Dims: 1, AuditBudget: time.Nanosecond}},
		{"forms past the atom bound", forms, Options{K: 5, Dims: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Protect(tc.groups, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !tab.Audit.Exhausted {
				t.Fatal("the audit did not run out")
			}
			if total := tab.Total(); !total.Suppressed || total.Reason != Unverified {
				t.Fatalf("grand total %+v published beside %d listed cells of one case each", total, len(tc.groups))
			}
		})
	}
}
