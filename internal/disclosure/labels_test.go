package disclosure

import "testing"

// grid lays out a two-way table of single values, one group per case, as
// the multi-valued attacker's cases (each with one "form": the column).
func grid(rows map[string]map[string]int) []mvCase {
	var cases []mvCase
	for row, cols := range rows {
		for col, n := range cols {
			for range n {
				cases = append(cases, mvCase{plain: row, forms: []string{col}})
			}
		}
	}
	return cases
}

// TestLabelsAreCountedByTheAudit: a label publishes a bound. UA|a holds 4
// and UA|b 20, withheld beside it; column b also holds BY|b = 1. With
// every total published, UA|a = UA − b + BY|b is at least 24 − 21 + 1 = 4
// from the figures, and its label says it is below 5: it is pinned. The
// audit used to solve without the labels, found UA|a between 4 and 13,
// and published the table so.
//
//	      a    b
//	UA    4   20
//	BY   10    1
func TestLabelsAreCountedByTheAudit(t *testing.T) {
	const k = 5
	cases := grid(map[string]map[string]int{"UA": {"a": 4, "b": 20}, "BY": {"a": 10, "b": 1}})
	tab, err := Protect(mvGroups(cases), Options{K: k, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]Reason{}
	for _, c := range tab.Cells {
		reasons[key(c)] = c.Reason
	}
	if reasons["UA|a"] != BelowK || reasons["BY|b"] != BelowK {
		t.Fatalf("the small cells are withheld as %v and %v, want %v", reasons["UA|a"], reasons["BY|b"], BelowK)
	}
	for cell, iv := range mvAttack(t, cases, tab, k) {
		if !protected(reasons[cell], iv[0], iv[1], k) {
			t.Errorf("withheld cell %s (%v) is narrowed to %v, its labels alone to %v", cell, reasons[cell], iv[0], iv[1])
		}
	}
	checkLines(t, tab)
}

// TestLabelsAloneNarrowingIsNotChased: a row total below k over four
// listed cells says by itself that each of them is 1 — no figure is
// needed for that, so no withholding can undo it. The audit must accept
// it rather than withhold the rest of the table trying.
//
//	      a    b    c    d
//	X     1    1    1    1
//	Y    10   10   10   10
//	Z    10   10   10   10
func TestLabelsAloneNarrowingIsNotChased(t *testing.T) {
	const k = 5
	cases := grid(map[string]map[string]int{
		"X": {"a": 1, "b": 1, "c": 1, "d": 1},
		"Y": {"a": 10, "b": 10, "c": 10, "d": 10},
		"Z": {"a": 10, "b": 10, "c": 10, "d": 10},
	})
	tab, err := Protect(mvGroups(cases), Options{K: k, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := published(tab)
	// The line rule withholds row Y beside row X; row Z stays.
	if p["*|*"] != 84 || p["Z|*"] != 40 || p["Z|a"] != 10 {
		t.Errorf("published %v: the grand total and row Z are withheld for nothing", p)
	}
	reasons := map[string]Reason{}
	for _, c := range tab.Cells {
		reasons[key(c)] = c.Reason
	}
	for cell, iv := range mvAttack(t, cases, tab, k) {
		if !protected(reasons[cell], iv[0], iv[1], k) {
			t.Errorf("withheld cell %s (%v) is narrowed to %v, its labels alone to %v", cell, reasons[cell], iv[0], iv[1])
		}
	}
}
