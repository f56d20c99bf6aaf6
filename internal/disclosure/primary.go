package disclosure

import (
	"maps"
	"math/bits"
	"slices"
)

// primary withholds every cell that is small in itself or that a broader
// query would let an attacker isolate (see the package documentation).
func (c *cube) primary() {
	k := c.opt.K
	for i, cell := range c.cells {
		if cell.Count < k {
			cell.suppress(BelowK, -1)
			continue
		}
		if c.opt.Withhold != nil && c.opt.Withhold(cell) {
			cell.suppress(ByCaller, -1)
			continue
		}
		st := c.stats[i]
		if oneContributor(st.orgs, cell.Count, k) {
			cell.suppress(Contributor, -1)
			continue
		}
		if c.opt.Filters == 0 {
			continue
		}
		if f, ok := smallComplement(st.fails, c.opt.Required, k); ok {
			cell.suppress(Complement, f)
			continue
		}
		if f, ok := smallSelection(st.via, k); ok {
			cell.suppress(SmallSelection, f)
			continue
		}
		if f, ok := smallRemainder(st.own, c.opt.Required, k); ok {
			cell.suppress(SmallRemainder, f)
		}
	}
}

// small reports whether n is a count that may not be published: between 1
// and k-1. Zero is harmless: it says that nothing is there.
func small(n, k int64) bool { return n > 0 && n < k }

// oneContributor reports whether removing some organisation's cases from a
// cell of n would leave 1 to k-1: that organisation knows its own cases
// (or padded the cell with them) and could subtract them.
func oneContributor(orgs map[string]int64, n, k int64) bool {
	for _, m := range orgs {
		if small(n-m, k) {
			return true
		}
	}
	return false
}

// isolates reports whether a difference between two queries, counted in
// t, may not be published: it is 1 to k-1 cases, or it would be once some
// organisation took its own cases out of it. An organisation knows its own
// cases and can pad a difference with them on purpose (five Eritreans of
// its own beside one of another's make a difference of six), so each of
// the differencing rules below applies the contributor test to the
// difference it measures, not only the threshold.
func isolates(t *tally, k int64) bool {
	return small(t.n, k) || oneContributor(t.orgs, t.n, k)
}

// smallComplement checks every broader query: dropping the filters in a set
// G adds the cases that fail only filters in G. It is enough to try as G
// each set of filters some case fails, because adding filters to G only
// adds cases, in all and besides any one organisation's; it returns the
// lowest filter of the first set whose added cases isolate some (see
// isolates). Sets with a required filter are no query anyone can ask.
func smallComplement(fails tallies[uint32], required uint32, k int64) (int, bool) {
	masks := slices.Sorted(maps.Keys(fails))
	var added tally
	for _, g := range masks {
		if g&required != 0 {
			continue
		}
		added.n = 0
		clear(added.orgs)
		for _, m := range masks {
			if m&^g == 0 {
				added.merge(fails[m])
			}
		}
		if isolates(&added, k) {
			return bits.TrailingZeros32(g), true
		}
	}
	return 0, false
}

// smallSelection finds a filter one of whose selected values accounts for
// cases that isolate some (see isolates): the query without that value
// would differ by exactly those.
func smallSelection(via []tallies[string], k int64) (int, bool) {
	for f, counts := range via {
		for _, t := range counts {
			if isolates(t, k) {
				return f, true
			}
		}
	}
	return 0, false
}

// smallRemainder finds a filter whose attribute, counted without that
// filter, has rare values that together isolate some cases (see
// isolates): every common value could be asked for on its own and
// subtracted from the unfiltered count, leaving exactly the rare ones. A
// value is rare when it could not be published on its own: 1 to k-1
// cases, or all but 1 to k-1 of them one organisation's (padded past k,
// it is still withheld when asked for, so it stays in the remainder). A
// required filter has no unfiltered count to subtract from.
func smallRemainder(own []tallies[string], required uint32, k int64) (int, bool) {
	for f, counts := range own {
		if required&(1<<uint(f)) != 0 {
			continue
		}
		var rare tally
		for _, t := range counts {
			if isolates(t, k) {
				rare.merge(t)
			}
		}
		if isolates(&rare, k) {
			return f, true
		}
	}
	return 0, false
}

// tally is a number of cases and, of those whose organisation is known,
// how many each organisation has.
type tally struct {
	n    int64
	orgs map[string]int64
}

// add counts n cases of org; "" counts them in n only, as the contributor
// rule does with cases whose organisation the caller did not give.
func (t *tally) add(n int64, org string) {
	t.n += n
	if org == "" {
		return
	}
	if t.orgs == nil {
		t.orgs = map[string]int64{}
	}
	t.orgs[org] += n
}

// merge adds the cases of u to t.
func (t *tally) merge(u *tally) {
	t.n += u.n
	if len(u.orgs) > 0 && t.orgs == nil {
		t.orgs = map[string]int64{}
	}
	for org, n := range u.orgs {
		t.orgs[org] += n
	}
}

// tallies counts cases by a key: a set of failed filters, or a value.
type tallies[K comparable] map[K]*tally

// add counts n cases of org under key.
func (ts tallies[K]) add(key K, n int64, org string) {
	t := ts[key]
	if t == nil {
		t = &tally{}
		ts[key] = t
	}
	t.add(n, org)
}
