package disclosure

import (
	"math/bits"
	"slices"
	"strings"
	"testing"
)

// person is one case of a test population: a value per attribute.
type person []string

// filter restricts one attribute to some values.
type filter struct {
	attr int
	sel  []string
}

// query is a table over some attributes of a population, with filters.
type query struct {
	dims    []int
	filters []filter
}

// groupsOf turns a population into groups for q, one per person, the way a
// caller of Protect would.
func groupsOf(people []person, q query) []Group {
	var out []Group
	for _, p := range people {
		g := Group{Count: 1}
		for _, d := range q.dims {
			g.Values = append(g.Values, []string{p[d]})
		}
		for i, f := range q.filters {
			v := p[f.attr]
			g.Own = append(g.Own, v)
			if slices.Contains(f.sel, v) {
				g.Via = append(g.Via, v)
			} else {
				g.Via = append(g.Via, "")
				g.Fails |= 1 << uint(i)
			}
		}
		out = append(out, g)
	}
	return out
}

func protect(t *testing.T, people []person, q query, k int64) *Table {
	t.Helper()
	tab, err := Protect(groupsOf(people, q), Options{K: k, Dims: len(q.dims), Filters: len(q.filters)})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// published maps each published cell's key to its count.
func published(tab *Table) map[string]int64 {
	out := map[string]int64{}
	for _, c := range tab.Cells {
		if !c.Suppressed {
			out[key(c)] = c.Count
		}
	}
	return out
}

func key(c *Cell) string {
	var parts []string
	for i, v := range c.Values {
		if c.Has&(1<<uint(i)) != 0 {
			parts = append(parts, v)
		} else {
			parts = append(parts, "*")
		}
	}
	return strings.Join(parts, "|")
}

// truth counts the population of q per cell key, without any protection.
func truth(people []person, q query) map[string]int64 {
	out := map[string]int64{}
	for _, p := range people {
		in := true
		for _, f := range q.filters {
			in = in && slices.Contains(f.sel, p[f.attr])
		}
		if !in {
			continue
		}
		for has := uint32(0); has < 1<<uint(len(q.dims)); has++ {
			var parts []string
			for i, d := range q.dims {
				if has&(1<<uint(i)) != 0 {
					parts = append(parts, p[d])
				} else {
					parts = append(parts, "*")
				}
			}
			out[strings.Join(parts, "|")]++
		}
	}
	return out
}

// checkLines fails when a margin line has exactly one withheld member.
func checkLines(t *testing.T, tab *Table) {
	t.Helper()
	byKey := map[string]*Cell{}
	for _, c := range tab.Cells {
		byKey[key(c)] = c
	}
	type lineKey struct {
		total string
		dim   int
	}
	members := map[lineKey][]*Cell{}
	for _, c := range tab.Cells {
		for d := range tab.Dims {
			if c.Has&(1<<uint(d)) == 0 {
				continue
			}
			parent := *c
			parent.Has &^= 1 << uint(d)
			lk := lineKey{key(&parent), d}
			members[lk] = append(members[lk], c)
		}
	}
	for lk, cells := range members {
		if byKey[lk.total] == nil {
			continue // a level of totals left out
		}
		n := 0
		if byKey[lk.total].Suppressed {
			n++
		}
		for _, c := range cells {
			if c.Suppressed {
				n++
			}
		}
		if n == 1 {
			t.Errorf("line of total %s along dimension %d has exactly one withheld member", lk.total, lk.dim)
		}
	}
}

func popcount(x uint32) int { return bits.OnesCount32(x) }
