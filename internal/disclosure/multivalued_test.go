package disclosure

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// mvCase is a case of a multi-valued test table: one value of a plain
// attribute and a set of forms (empty: unknown).
type mvCase struct {
	plain string
	forms []string
}

// mvGroups lays the cases out as Protect's groups, one per case.
func mvGroups(cases []mvCase) []Group {
	var out []Group
	for _, c := range cases {
		forms := c.forms
		if len(forms) == 0 {
			forms = []string{""}
		}
		out = append(out, Group{Count: 1, Values: [][]string{{c.plain}, forms}, Org: ""})
	}
	return out
}

// mvAttack is the test's own attacker of a multi-valued table, written
// apart from attack.go: unknowns are the combinations (plain value, set of
// forms) the cases have, each at least 0; every published cell is an
// equation; a withheld cell's label bounds it: "fewer than k" to 1..k-1,
// any other reason to k or more. It returns, per withheld cell key, the
// least and greatest value the figures and labels leave it, rounded
// inward, and the same from the labels alone.
func mvAttack(t *testing.T, cases []mvCase, tab *Table, k int64) map[string][2]interval {
	t.Helper()
	var atoms []mvCase
	seen := map[string]bool{}
	for _, c := range cases {
		k := c.plain + "#" + strings.Join(c.forms, ",")
		if !seen[k] {
			seen[k] = true
			atoms = append(atoms, c)
		}
	}
	in := func(a mvCase, c *Cell) bool {
		if c.Has&1 != 0 && c.Values[0] != a.plain {
			return false
		}
		if c.Has&2 != 0 {
			if c.Values[1] == "" {
				return len(a.forms) == 0
			}
			return slices.Contains(a.forms, c.Values[1])
		}
		return true
	}
	var withheld []*Cell
	for _, c := range tab.Cells {
		if c.Suppressed {
			withheld = append(withheld, c)
		}
	}
	n := len(atoms) + 2*len(withheld) // atoms, then two slacks per withheld cell
	sum := func(c *Cell) []float64 {
		row := make([]float64, n)
		for j, a := range atoms {
			if in(a, c) {
				row[j] = 1
			}
		}
		return row
	}
	var figRows, labelRows [][]float64
	var figRHS, labelRHS []float64
	for _, c := range tab.Cells {
		if !c.Suppressed {
			figRows, figRHS = append(figRows, sum(c)), append(figRHS, float64(c.Count))
		}
	}
	for w, c := range withheld {
		lo, hi := k, int64(0) // the label: at least k, or 1 to k-1
		if c.Reason == BelowK {
			lo, hi = 1, k-1
		}
		row := sum(c)
		row[len(atoms)+2*w] = -1
		labelRows, labelRHS = append(labelRows, row), append(labelRHS, float64(lo))
		if hi > 0 {
			row := sum(c)
			row[len(atoms)+2*w+1] = 1
			labelRows, labelRHS = append(labelRows, row), append(labelRHS, float64(hi))
		}
	}
	all := append(slices.Clone(figRows), labelRows...)
	allRHS := append(slices.Clone(figRHS), labelRHS...)
	out := map[string][2]interval{}
	for _, c := range withheld {
		obj := sum(c)
		out[key(c)] = [2]interval{mvRange(t, all, allRHS, obj), mvRange(t, labelRows, labelRHS, obj)}
	}
	return out
}

// mvRange is the least and greatest value of obj·y over rows·y = rhs,
// y ≥ 0, rounded inward. Columns no row names are left out (the simplex
// refuses them): they add 0 to the least value and leave the greatest
// unbounded.
func mvRange(t *testing.T, rows [][]float64, rhs []float64, obj []float64) interval {
	t.Helper()
	var cols []int
	free := false
	for j := range obj {
		named := slices.ContainsFunc(rows, func(r []float64) bool { return r[j] != 0 })
		switch {
		case named:
			cols = append(cols, j)
		case obj[j] != 0:
			free = true
		}
	}
	if len(cols) == 0 {
		return interval{0, unbounded}
	}
	sub := make([][]float64, len(rows))
	for i, r := range rows {
		for _, j := range cols {
			sub[i] = append(sub[i], r[j])
		}
	}
	keep := independent(sub) // the simplex wants full row rank
	A := mat.NewDense(len(keep), len(cols), nil)
	b := make([]float64, len(keep))
	for i, r := range keep {
		A.SetRow(i, sub[r])
		b[i] = rhs[r]
	}
	c := make([]float64, len(cols))
	for jj, j := range cols {
		c[jj] = obj[j]
	}
	lo, _, err := lp.Simplex(c, A, b, 1e-10, nil)
	if err != nil {
		t.Fatalf("attacker min: %v", err)
	}
	iv := interval{int64(math.Ceil(lo - 1e-6)), unbounded}
	if free {
		return iv
	}
	for j := range c {
		c[j] = -c[j]
	}
	hi, _, err := lp.Simplex(c, A, b, 1e-10, nil)
	switch {
	case errors.Is(err, lp.ErrUnbounded):
	case err != nil:
		t.Fatalf("attacker max: %v", err)
	default:
		iv.hi = int64(math.Floor(-hi + 1e-6))
	}
	return iv
}

// TestMultiValuedTablesAreAudited: in tables where a case counts under
// each of its forms, every primary withheld cell stays protected from an
// attacker who knows every published figure, what each withheld cell's
// label says of it, and that forms are sets. The line rule alone fails this on
// such tables (it treats the lines as sums, which they are not).
func TestMultiValuedTablesAreAudited(t *testing.T) {
	const k = 3
	forms := []string{"x", "y", "z"}
	rng := rand.New(rand.NewPCG(5, 15))
	for trial := range 8 {
		var cases []mvCase
		for range 20 + rng.IntN(25) {
			c := mvCase{plain: []string{"a", "b", "c", "d"}[min(rng.IntN(5), 3)]}
			for _, f := range forms {
				if rng.IntN(3) == 0 {
					c.forms = append(c.forms, f)
				}
			}
			cases = append(cases, c)
		}
		tab, err := Protect(mvGroups(cases), Options{K: k, Dims: 2})
		if err != nil {
			t.Fatal(err)
		}
		if tab.Audit.Rounds == 0 {
			t.Fatalf("trial %d: a multi-valued table was not audited", trial)
		}
		reasons := map[string]Reason{}
		for _, c := range tab.Cells {
			reasons[key(c)] = c.Reason
		}
		for cell, iv := range mvAttack(t, cases, tab, k) {
			if !protected(reasons[cell], iv[0], iv[1], k) {
				t.Errorf("trial %d: withheld cell %s (%v) is narrowed to %v, its labels alone to %v", trial, cell, reasons[cell], iv[0], iv[1])
			}
		}
	}
}

// TestLargeMultiValuedTablesAreAudited: a multi-valued table of many
// atoms (five countries by six forms, each case with any set of them)
// is audited like a small one; it used to keep the line rule alone past
// 48 atoms, which leaves cells an exact attacker can pin.
func TestLargeMultiValuedTablesAreAudited(t *testing.T) {
	const k = 5
	forms := []string{"f1", "f2", "f3", "f4", "f5", "f6"}
	countries := []string{"RS", "MK", "AL", "BA", "XK"}
	rng := rand.New(rand.NewPCG(1, 120))
	var cases []mvCase
	atoms := map[string]bool{}
	for range 120 {
		c := mvCase{plain: countries[rng.IntN(len(countries))]}
		for _, f := range forms {
			if rng.IntN(4) == 0 {
				c.forms = append(c.forms, f)
			}
		}
		cases = append(cases, c)
		atoms[c.plain+"#"+strings.Join(c.forms, ",")] = true
	}
	if len(atoms) <= 48 || len(atoms) > MaxMultiValuedAtoms {
		t.Fatalf("the table has %d atoms; the test needs 49 to %d", len(atoms), MaxMultiValuedAtoms)
	}
	tab, err := Protect(mvGroups(cases), Options{K: k, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Audit.Rounds == 0 || tab.Audit.Exhausted {
		t.Fatalf("a table of %d atoms was not audited to the end: %+v", len(atoms), tab.Audit)
	}
	reasons := map[string]Reason{}
	withheld := 0
	for _, c := range tab.Cells {
		reasons[key(c)] = c.Reason
		if c.Suppressed {
			withheld++
		}
	}
	if withheld == 0 || withheld == len(tab.Cells)-1 {
		t.Fatalf("%d of %d cells withheld: the table tests nothing", withheld, len(tab.Cells))
	}
	for cell, iv := range mvAttack(t, cases, tab, k) {
		if !protected(reasons[cell], iv[0], iv[1], k) {
			t.Errorf("withheld cell %s (%v) is narrowed to %v, its labels alone to %v", cell, reasons[cell], iv[0], iv[1])
		}
	}
}

// TestHugeMultiValuedTablesPublishOnlyTheTotal: past MaxMultiValuedAtoms
// the audit cannot run in time, so nothing but the grand total is
// published, and what was published by the line rule alone is withheld
// as Unverified. It used to be published unaudited.
func TestHugeMultiValuedTablesPublishOnlyTheTotal(t *testing.T) {
	forms := []string{"f1", "f2", "f3", "f4", "f5", "f6"}
	countries := []string{"RS", "MK", "AL", "BA", "XK", "RO", "BG", "MD", "UA", "HR", "SI", "ME"}
	rng := rand.New(rand.NewPCG(2, 200))
	var cases []mvCase
	for range 200 {
		c := mvCase{plain: countries[rng.IntN(len(countries))]}
		for _, f := range forms {
			if rng.IntN(4) == 0 {
				c.forms = append(c.forms, f)
			}
		}
		cases = append(cases, c)
	}
	tab, err := Protect(mvGroups(cases), Options{K: 5, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.Audit.Exhausted {
		t.Fatalf("report %+v: the table was not marked unverified", tab.Audit)
	}
	if total := tab.Total(); total.Suppressed || total.Count != 200 {
		t.Fatalf("grand total %+v, want 200 published", total)
	}
	unverified := 0
	for _, c := range tab.Cells[1:] {
		if !c.Suppressed {
			t.Errorf("cell %s published without an audit", key(c))
		}
		if c.Reason == Unverified {
			unverified++
		}
	}
	if unverified == 0 {
		t.Error("no cell is marked unverified: every one was withheld for another reason")
	}
}
