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
