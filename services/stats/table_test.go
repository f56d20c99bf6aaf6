package stats_test

import (
	"slices"
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// cellKey names a cell of a table over dims: its value on each dimension,
// "*" where it sums over one.
func cellKey(dims []casebridgev1.Dimension, c *casebridgev1.Cell) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = "*"
		for _, v := range c.GetValues() {
			if v.GetDimension() == d {
				parts[i] = v.GetValue()
			}
		}
	}
	return strings.Join(parts, "|")
}

// expected counts the file's cases that keep passes, in every cell and
// total of a table over dims, independently of the server: a case with
// several forms of exploitation counts under each, and once in a total
// over them.
func expected(file []fileCase, dims []casebridgev1.Dimension, keep func(fileCase) bool) map[string]int64 {
	out := map[string]int64{}
	for _, c := range file {
		if keep != nil && !keep(c) {
			continue
		}
		for has := 0; has < 1<<len(dims); has++ {
			keys := []string{""}
			for i, d := range dims {
				var next []string
				for _, k := range keys {
					sep := "|"
					if i == 0 {
						sep = ""
					}
					if has&(1<<i) == 0 {
						next = append(next, k+sep+"*")
						continue
					}
					var seen []string
					for _, v := range c.attrs[d] {
						if !slices.Contains(seen, v) {
							seen = append(seen, v)
							next = append(next, k+sep+v)
						}
					}
				}
				keys = next
			}
			for _, k := range keys {
				out[k]++
			}
		}
	}
	return out
}

// checkTable compares a CountCases answer with the independent counts:
// every published count is exact and at least k, every small cell is
// withheld, no cell is missing or invented, and the published totals
// agree with the published cells.
func checkTable(t *testing.T, resp *casebridgev1.CountCasesResponse, want map[string]int64) {
	t.Helper()
	dims := resp.GetDimensions()
	if resp.GetK() != k {
		t.Errorf("k = %d, want %d", resp.GetK(), k)
	}
	got := map[string]*casebridgev1.Cell{}
	for _, c := range append(slices.Clone(resp.GetCells()), resp.GetTotals()...) {
		key := cellKey(dims, c)
		if _, dup := got[key]; dup {
			t.Errorf("cell %s twice", key)
		}
		got[key] = c
		n, ok := want[key]
		switch {
		case !ok:
			t.Errorf("cell %s is not in the file", key)
		case c.GetSuppressed() && c.GetCount() != 0:
			t.Errorf("withheld cell %s carries count %d", key, c.GetCount())
		case !c.GetSuppressed() && c.GetCount() != n:
			t.Errorf("cell %s: %d, the file has %d", key, c.GetCount(), n)
		case !c.GetSuppressed() && c.GetCount() < k:
			t.Errorf("cell %s published with %d < k", key, c.GetCount())
		case n < k && !c.GetSuppressed():
			t.Errorf("cell %s of %d cases not withheld", key, n)
		}
	}
	for key, n := range want {
		if _, ok := got[key]; !ok && n > 0 {
			t.Errorf("cell %s (%d cases) missing", key, n)
		}
	}
	for i, d := range dims {
		if d == casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM {
			continue // a case with two forms is in two cells and one total
		}
		checkMargins(t, dims, i, got)
	}
}

// checkMargins adds up, along dimension i, every line whose cells are all
// published and compares the sum with its published total; a line with
// withheld members must have at least two.
func checkMargins(t *testing.T, dims []casebridgev1.Dimension, i int, got map[string]*casebridgev1.Cell) {
	t.Helper()
	sums := map[string]int64{}
	withheld := map[string]int{}
	for key, c := range got {
		parts := strings.Split(key, "|")
		if len(dims) == 0 || parts[i] == "*" {
			continue
		}
		parts[i] = "*"
		total := strings.Join(parts, "|")
		if c.GetSuppressed() {
			withheld[total]++
		}
		sums[total] += c.GetCount()
	}
	for total, sum := range sums {
		c := got[total]
		if c == nil {
			t.Errorf("total %s missing", total)
			continue
		}
		n := withheld[total]
		if c.GetSuppressed() {
			n++
		}
		if n == 1 {
			t.Errorf("line of %s along %v has exactly one withheld member", total, dims[i])
		}
		if withheld[total] == 0 && !c.GetSuppressed() && c.GetCount() != sum {
			t.Errorf("total %s = %d, its cells add up to %d", total, c.GetCount(), sum)
		}
	}
}
