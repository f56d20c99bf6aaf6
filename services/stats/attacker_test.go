package stats_test

import (
	"errors"
	"fmt"
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
// published cell or total of every answer is an equation; it minimises and
// maximises each withheld cell and rounds inward. It is meant for tables
// of single-valued dimensions, where a total is the sum of its cells.

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

// possible is how many whole values the union of the answers leaves open
// for each withheld cell; math.MaxInt64 when unbounded.
func possible(t *testing.T, dims []casebridgev1.Dimension, answers ...*casebridgev1.CountCasesResponse) map[string]int64 {
	t.Helper()
	var full []string
	known := map[string]int64{}
	withheld := map[string]bool{}
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
					withheld[k] = true
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
	// y = cell − 1 ≥ 0; one equation per published cell.
	var rows [][]float64
	var rhs []float64
	for k, n := range known {
		row := make([]float64, len(full))
		b := float64(n)
		for j, f := range full {
			if within(f, k) {
				row[j] = 1
				b--
			}
		}
		rows, rhs = append(rows, row), append(rhs, b)
	}
	rows, rhs = fullRank(rows, rhs)
	out := map[string]int64{}
	for w := range withheld {
		obj := make([]float64, len(full))
		floor := 0.0
		for j, f := range full {
			if within(f, w) {
				obj[j] = 1
				floor++
			}
		}
		lo, hi := extremes(t, obj, rows, rhs)
		if math.IsInf(hi, 1) {
			out[w] = math.MaxInt64
			continue
		}
		out[w] = int64(math.Floor(hi+floor+1e-6)) - int64(math.Ceil(lo+floor-1e-6)) + 1
	}
	return out
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
	if len(rows) == 0 {
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

// checkAttacker fails when the answers together leave a withheld cell
// fewer than k possible values.
func checkAttacker(t *testing.T, dims []casebridgev1.Dimension, answers ...*casebridgev1.CountCasesResponse) int {
	t.Helper()
	n := 0
	for cell, values := range possible(t, dims, answers...) {
		n++
		if values < k {
			t.Errorf("withheld cell %s: the published figures leave %d possible values", cell, values)
		}
	}
	return n
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
