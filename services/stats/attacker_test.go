package stats_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The test's own attacker, written apart from internal/disclosure: it reads
// only CountCases answers. Its unknowns are the full cells every answer
// lists (each at least 1, since only cells with a case are listed); every
// published cell or total of every answer is an equation, and every
// withheld one is bounded by what its label says: "fewer than k" (PRIMARY)
// puts it between 1 and k-1, any other reason at k or more (a cell below k
// is always withheld as PRIMARY). It minimises and maximises each withheld
// cell and rounds inward, once with the figures and labels and once with
// the labels alone. It is meant for tables of single-valued dimensions,
// where a total is the sum of its cells.

// coord names a cell by its values, dimension by dimension, whatever the
// order the answer listed them in; "*" where it sums over a dimension.
func coord(dims []casebridgev1.Dimension, c *casebridgev1.Cell) string {
	byDim := map[casebridgev1.Dimension]string{}
	for _, v := range c.GetValues() {
		byDim[v.GetDimension()] = v.GetValue()
	}
	sorted := slices.Clone(dims)
	slices.Sort(sorted)
	parts := make([]string, len(sorted))
	for i, d := range sorted {
		parts[i] = "*"
		if v, ok := byDim[d]; ok {
			parts[i] = "=" + v
		}
	}
	return strings.Join(parts, "|")
}

// contains reports whether full cell f falls in (total) cell t.
func within(f, t string) bool {
	fp, tp := strings.Split(f, "|"), strings.Split(t, "|")
	for i := range tp {
		if tp[i] != "*" && tp[i] != fp[i] {
			return false
		}
	}
	return true
}

// span is what an attacker can tell of a withheld cell: the least and
// greatest whole value (hi math.MaxInt64 when unbounded), from the
// figures and labels together and from the labels alone.
type span struct {
	lo, hi           int64
	aloneLo, aloneHi int64
	reason           casebridgev1.WithheldReason
}

// possible is what the union of the answers leaves open for each withheld
// cell.
func possible(t *testing.T, dims []casebridgev1.Dimension, answers ...*casebridgev1.CountCasesResponse) map[string]span {
	t.Helper()
	return possibleFor(t, dims, nil, answers...)
}

// possibleFor is what the answers leave open to an organisation that
// also knows own, its number of cases in each full cell (by coordinate):
// each cell holds at least that many.
func possibleFor(t *testing.T, dims []casebridgev1.Dimension, own map[string]int64, answers ...*casebridgev1.CountCasesResponse) map[string]span {
	t.Helper()
	var full []string
	known := map[string]int64{}
	withheld := map[string]casebridgev1.WithheldReason{}
	for _, a := range answers {
		for _, c := range a.GetCells() {
			if k := coord(dims, c); !slices.Contains(full, k) {
				full = append(full, k)
			}
		}
		for _, group := range [][]*casebridgev1.Cell{a.GetCells(), a.GetTotals()} {
			for _, c := range group {
				k := coord(dims, c)
				if c.GetSuppressed() {
					withheld[k] = c.GetWithheldReason()
				} else {
					known[k] = c.GetCount()
				}
			}
		}
	}
	slices.Sort(full)
	for k := range known {
		delete(withheld, k) // published by another answer
	}
	names := slices.Sorted(maps.Keys(withheld))
	// y = cell − its floor ≥ 0 (1, or the organisation's own cases
	// there), then two slacks per withheld cell (its label's bounds).
	cols := len(full) + 2*len(names)
	sum := func(k string) ([]float64, float64) {
		row := make([]float64, cols)
		floor := 0.0
		for j, f := range full {
			if within(f, k) {
				row[j] = 1
				floor += float64(max(1, own[f]))
			}
		}
		return row, floor
	}
	var figRows, labelRows [][]float64
	var figRHS, labelRHS []float64
	for k, n := range known {
		row, floor := sum(k)
		figRows, figRHS = append(figRows, row), append(figRHS, float64(n)-floor)
	}
	for w, name := range names {
		lo, hi := float64(k), math.Inf(1)
		if withheld[name] == casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY {
			lo, hi = 1, float64(k-1)
		}
		if row, floor := sum(name); lo > floor {
			row[len(full)+2*w] = -1
			labelRows, labelRHS = append(labelRows, row), append(labelRHS, lo-floor)
		}
		if row, floor := sum(name); !math.IsInf(hi, 1) {
			row[len(full)+2*w+1] = 1
			labelRows, labelRHS = append(labelRows, row), append(labelRHS, hi-floor)
		}
	}
	rows, rhs := fullRank(append(slices.Clone(figRows), labelRows...), append(slices.Clone(figRHS), labelRHS...))
	aloneRows, aloneRHS := fullRank(labelRows, labelRHS)
	out := map[string]span{}
	for _, w := range names {
		obj, floor := sum(w)
		sp := span{reason: withheld[w]}
		sp.lo, sp.hi = rounded(t, obj, floor, rows, rhs)
		sp.aloneLo, sp.aloneHi = rounded(t, obj, floor, aloneRows, aloneRHS)
		out[w] = sp
	}
	return out
}

// rounded is the least and greatest whole value of obj·y + floor,
// math.MaxInt64 for no greatest.
func rounded(t *testing.T, obj []float64, floor float64, rows [][]float64, rhs []float64) (int64, int64) {
	t.Helper()
	lo, hi := extremes(t, obj, rows, rhs)
	l := int64(math.Ceil(lo + floor - 1e-6))
	if math.IsInf(hi, 1) {
		return l, math.MaxInt64
	}
	return l, int64(math.Floor(hi + floor + 1e-6))
}

// extremes minimises and maximises obj·y subject to rows·y = rhs, y ≥ 0.
// Columns no equation names are left out of the program (the simplex
// refuses empty columns): they add 0 to the least value and make the
// greatest unbounded.
func extremes(t *testing.T, obj []float64, rows [][]float64, rhs []float64) (float64, float64) {
	t.Helper()
	var named []int
	free := false
	for j := range obj {
		has := false
		for _, r := range rows {
			has = has || r[j] != 0
		}
		if has {
			named = append(named, j)
		} else if obj[j] != 0 {
			free = true
		}
	}
	if len(rows) == 0 || len(named) == 0 {
		return 0, math.Inf(1)
	}
	A := mat.NewDense(len(rows), len(named), nil)
	c := make([]float64, len(named))
	for i, r := range rows {
		for jj, j := range named {
			A.Set(i, jj, r[j])
		}
	}
	for jj, j := range named {
		c[jj] = obj[j]
	}
	lo, _, err := lp.Simplex(c, A, rhs, 1e-10, nil)
	if err != nil {
		t.Fatalf("attacker's minimum: %v", err)
	}
	if free {
		return lo, math.Inf(1)
	}
	for i := range c {
		c[i] = -c[i]
	}
	hi, _, err := lp.Simplex(c, A, rhs, 1e-10, nil)
	if errors.Is(err, lp.ErrUnbounded) {
		return lo, math.Inf(1)
	}
	if err != nil {
		t.Fatalf("attacker's maximum: %v", err)
	}
	return lo, -hi
}

// fullRank keeps a linearly independent subset of the equations.
func fullRank(rows [][]float64, rhs []float64) ([][]float64, []float64) {
	var basis [][]float64
	var piv []int
	var outR [][]float64
	var outB []float64
	for i, r := range rows {
		v := slices.Clone(r)
		for bi, b := range basis {
			f := v[piv[bi]]
			for j := range v {
				v[j] -= f * b[j]
			}
		}
		p := -1
		for j := range v {
			if math.Abs(v[j]) > 1e-9 && (p < 0 || math.Abs(v[j]) > math.Abs(v[p])) {
				p = j
			}
		}
		if p < 0 {
			continue
		}
		s := v[p]
		for j := range v {
			v[j] /= s
		}
		basis, piv = append(basis, v), append(piv, p)
		outR, outB = append(outR, r), append(outB, rhs[i])
	}
	return outR, outB
}

// checkAttacker fails when the answers together leave a cell withheld
// for what it counts itself (any reason but SECONDARY and UNVERIFIED)
// less than its label allows: a PRIMARY cell must keep every value from 1
// to k-1, any other k values from k upwards — unless the figures narrow
// it no further than the labels alone do, which no withholding can undo.
// A cell withheld to protect another could have been published, and
// needs no interval of its own. It returns how many cells were withheld.
func checkAttacker(t *testing.T, dims []casebridgev1.Dimension, answers ...*casebridgev1.CountCasesResponse) int {
	t.Helper()
	return checkAttackerFor(t, dims, "", nil, func(string) bool { return false }, answers...)
}

// checkAttackerFor is checkAttacker played by organisation org, which
// knows own (see possibleFor). Cells holding only org's own cases are
// not checked: there is nothing of others' there to protect from it.
func checkAttackerFor(t *testing.T, dims []casebridgev1.Dimension, org string, own map[string]int64, ownsAll func(cell string) bool, answers ...*casebridgev1.CountCasesResponse) int {
	t.Helper()
	n := 0
	for cell, sp := range possibleFor(t, dims, own, answers...) {
		if ownsAll(cell) {
			continue
		}
		n++
		if !guarded(sp) {
			t.Errorf("withheld cell %s (%v), attacker %q: the published figures leave [%d, %d], its labels alone [%d, %d]",
				cell, sp.reason, org, sp.lo, sp.hi, sp.aloneLo, sp.aloneHi)
		}
	}
	return n
}

// guarded reports whether a withheld cell keeps what checkAttacker asks.
func guarded(sp span) bool {
	switch sp.reason {
	case casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY, casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED:
		return true
	case casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:
		if sp.lo <= 1 && sp.hi >= k-1 {
			return true
		}
	default:
		if sp.hi == math.MaxInt64 || sp.hi-max(sp.lo, k)+1 >= k {
			return true
		}
	}
	return sp.lo <= sp.aloneLo && sp.hi >= sp.aloneHi
}

// withheldSet lists an answer's withheld cells by coordinate.
func withheldSet(dims []casebridgev1.Dimension, a *casebridgev1.CountCasesResponse) []string {
	var out []string
	for _, group := range [][]*casebridgev1.Cell{a.GetCells(), a.GetTotals()} {
		for _, c := range group {
			if c.GetSuppressed() {
				out = append(out, coord(dims, c))
			}
		}
	}
	slices.Sort(out)
	return out
}

// permutations lists every order of dims.
func permutations(dims []casebridgev1.Dimension) [][]casebridgev1.Dimension {
	if len(dims) <= 1 {
		return [][]casebridgev1.Dimension{slices.Clone(dims)}
	}
	var out [][]casebridgev1.Dimension
	for i := range dims {
		rest := append(slices.Clone(dims[:i]), dims[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]casebridgev1.Dimension{dims[i]}, p...))
		}
	}
	return out
}

func label(dims []casebridgev1.Dimension) string {
	var s []string
	for _, d := range dims {
		s = append(s, strings.TrimPrefix(d.String(), "DIMENSION_"))
	}
	return fmt.Sprint(s)
}
