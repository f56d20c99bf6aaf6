package disclosure

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
)

// cellStats is what the primary rules need to know about one cell, beyond
// its count: how the cases around it fail the filters and through which
// values the cases in it pass them. Each of these counts is kept by
// organisation as well: an organisation knows its own cases and can take
// them out of any difference the rules measure.
type cellStats struct {
	// fails counts the cases a broader query would add to this cell, by
	// the set of filters they fail.
	fails tallies[uint32]
	// via counts, per filter, the cell's cases by the selected value they
	// pass through.
	via []tallies[string]
	// own counts, per filter f, the cases of the cell as counted without
	// filter f, by their own value of f's attribute.
	own []tallies[string]
	// orgs counts the cell's cases by the organisation they belong to.
	orgs map[string]int64
}

// cube holds every cell of a table — full cells and every level of totals
// — with the statistics of each.
type cube struct {
	opt   Options
	index map[string]int
	cells []*Cell
	stats []*cellStats
	// atoms are the distinct combinations of values of the population's
	// groups, the unknowns of the attacker's audit.
	atomIndex  map[string]int
	atomValues [][][]string
	atomCount  []int64
	// atomOrgs counts each atom's cases by organisation (Group.Org), for
	// the attacker each organisation is (see newAttack); orgs lists the
	// organisations named, sorted.
	atomOrgs []map[string]int64
	orgs     []string
	// orgFloors caches floorsOf.
	orgFloors map[string][]int64
	// cellAtoms lists, per cell, the atoms it counts (set by sort).
	cellAtoms  [][]int
	lineCache  []line
	lineMember [][]int
	// multiValued is set when some group counts under several values of
	// one dimension; multiDims has the bit of each such dimension.
	multiValued bool
	multiDims   uint32
	// exhausted is set when the audit ran out of its budget (see audit).
	exhausted bool
}

func newCube(opt Options) *cube {
	c := &cube{opt: opt, index: map[string]int{}, atomIndex: map[string]int{}}
	// The grand total exists even for an empty population, so that a
	// query matching nothing is seen as below k rather than as no table.
	c.cell(0, make([]string, opt.Dims), true)
	return c
}

// cellKey identifies a cell by the dimensions it has and their values.
func cellKey(has uint32, values []string) string {
	b := binary.AppendUvarint(nil, uint64(has))
	for i, v := range values {
		if has&(1<<uint(i)) != 0 {
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return string(b)
}

// cell returns the index of a cell, creating it when create is set; -1
// when it does not exist and may not be created.
func (c *cube) cell(has uint32, values []string, create bool) int {
	k := cellKey(has, values)
	if i, ok := c.index[k]; ok {
		return i
	}
	if !create {
		return -1
	}
	i := len(c.cells)
	c.index[k] = i
	c.cells = append(c.cells, &Cell{Has: has, Values: slices.Clone(values), Filter: -1})
	st := &cellStats{orgs: map[string]int64{}}
	if c.opt.Filters > 0 {
		st.fails = tallies[uint32]{}
		st.via = make([]tallies[string], c.opt.Filters)
		st.own = make([]tallies[string], c.opt.Filters)
		for f := range c.opt.Filters {
			st.via[f] = tallies[string]{}
			st.own[f] = tallies[string]{}
		}
	}
	c.stats = append(c.stats, st)
	return i
}

// expand calls fn once for every cell a group counts in: for each subset of
// the dimensions (the empty one included), each combination of the
// group's values on them. A value listed twice for one dimension is
// counted once.
func expand(g *Group, dims int, fn func(has uint32, values []string)) {
	values := make([]string, dims)
	var walk func(has uint32, i int)
	walk = func(has uint32, i int) {
		if i == dims {
			fn(has, values)
			return
		}
		if has&(1<<uint(i)) == 0 {
			values[i] = ""
			walk(has, i+1)
			return
		}
		for j, v := range g.Values[i] {
			if slices.Contains(g.Values[i][:j], v) {
				continue
			}
			values[i] = v
			walk(has, i+1)
		}
	}
	for has := uint32(0); has < 1<<uint(dims); has++ {
		walk(has, 0)
	}
}

// addInside counts a group of the population in every cell it falls in,
// creating the cells.
func (c *cube) addInside(g *Group) {
	key := atomKey(g.Values)
	a, ok := c.atomIndex[key]
	if !ok {
		a = len(c.atomCount)
		c.atomIndex[key] = a
		c.atomValues = append(c.atomValues, g.Values)
		c.atomCount = append(c.atomCount, 0)
		c.atomOrgs = append(c.atomOrgs, map[string]int64{})
	}
	c.atomCount[a] += g.Count
	if g.Org != "" {
		if _, ok := c.atomOrgs[a][g.Org]; !ok && !slices.Contains(c.orgs, g.Org) {
			c.orgs = append(c.orgs, g.Org)
		}
		c.atomOrgs[a][g.Org] += g.Count
	}
	for d, vs := range g.Values {
		if len(vs) > 1 && slices.ContainsFunc(vs[1:], func(v string) bool { return v != vs[0] }) {
			c.multiValued = true
			c.multiDims |= 1 << uint(d)
		}
	}
	expand(g, c.opt.Dims, func(has uint32, values []string) {
		i := c.cell(has, values, true)
		c.cells[i].Count += g.Count
		st := c.stats[i]
		if g.Org != "" {
			st.orgs[g.Org] += g.Count
		}
		for f := range c.opt.Filters {
			st.via[f].add(g.Via[f], g.Count, g.Org)
			st.own[f].add(g.Own[f], g.Count, g.Org)
		}
	})
}

// addOutside records a group outside the population against the cells it
// would fall in under a broader query. Cells with no case of the
// population are not published, so they are not created here.
func (c *cube) addOutside(g *Group) {
	single := bits.OnesCount32(g.Fails) == 1
	f := bits.TrailingZeros32(g.Fails)
	expand(g, c.opt.Dims, func(has uint32, values []string) {
		i := c.cell(has, values, false)
		if i < 0 {
			return
		}
		st := c.stats[i]
		st.fails.add(g.Fails, g.Count, g.Org)
		if single {
			st.own[f].add(g.Own[f], g.Count, g.Org)
		}
	})
}

// sort puts the cells in a stable order — grand total first, then by the
// dimensions they have, then by value — so that the choices of secondary
// suppression do not depend on the order the groups came in.
func (c *cube) sort() {
	order := make([]int, len(c.cells))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ca, cb := c.cells[a], c.cells[b]
		if d := bits.OnesCount32(ca.Has) - bits.OnesCount32(cb.Has); d != 0 {
			return d
		}
		if ca.Has != cb.Has {
			return int(ca.Has) - int(cb.Has)
		}
		return slices.CompareFunc(ca.Values, cb.Values, strings.Compare)
	})
	cells := make([]*Cell, len(order))
	stats := make([]*cellStats, len(order))
	for to, from := range order {
		cells[to], stats[to] = c.cells[from], c.stats[from]
		c.index[cellKey(cells[to].Has, cells[to].Values)] = to
	}
	c.cells, c.stats = cells, stats
	slices.Sort(c.orgs)
	c.cellAtoms = make([][]int, len(c.cells))
	for a, values := range c.atomValues {
		if c.atomCount[a] == 0 {
			continue
		}
		g := &Group{Values: values}
		expand(g, c.opt.Dims, func(has uint32, values []string) {
			if i := c.cell(has, values, false); i >= 0 {
				c.cellAtoms[i] = append(c.cellAtoms[i], a)
			}
		})
	}
}

// atomKey identifies a combination of value lists, the order of values
// within a list aside.
func atomKey(values [][]string) string {
	var b []byte
	for _, vs := range values {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		vs = slices.Compact(vs)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return string(b)
}
