package disclosure

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// unbounded stands for a bound the published figures do not limit.
const unbounded = math.MaxInt64

// interval is what an attacker can tell of a withheld cell: its smallest
// and largest whole value consistent with everything the table publishes.
type interval struct{ lo, hi int64 }

// values is the number of whole values the interval leaves open.
func (iv interval) values() int64 {
	if iv.hi == unbounded {
		return unbounded
	}
	return iv.hi - iv.lo + 1
}

// attack is the linear-programming attacker of one table: the unknowns are
// the table's atoms (the distinct combinations of values its cases have);
// the equations are the published cells, each the sum of the atoms it
// counts, and the labels of the withheld ones, each a bound on that sum
// (labelBounds). Atoms a published cell pins down alone are known; the
// rest fall into independent components, linked by the equations they
// share.
//
// In a table of single values every atom is a full cell, and a cell is
// listed only when it has a case, so each atom is at least 1. Where a case
// counts under several values of a dimension (forms of exploitation) an
// atom is a combination of value sets that no cell names, so the table
// does not say it exists: atoms are at least 0 there, and the label of a
// listed withheld cell says instead that the sum of its atoms is at least
// 1. A bound is an equation with a slack unknown. Limiting the unknowns to
// the atoms the population has only gives the attacker less room than the
// true one, so the intervals found are never wider than the attacker's.
type attack struct {
	// floors is the least value of each atom: 1, or 0 in a multi-valued
	// table — or, for an organisation's attacker, its own cases there
	// when it has more (see newAttack).
	floors []int64
	// slacks counts the slack unknowns, numbered after the atoms; eqSlack
	// is each equation's slack (-1 for none), taken with the coefficient
	// eqCoef: -1 for a lower bound, +1 for an upper one.
	slacks  int
	eqSlack []int
	eqCoef  []float64
	known   []bool
	value   []int64 // of known atoms
	comp    []int   // component of each unknown atom
	compVar [][]int // unknown atoms of each component
	compEq  [][]int // equations of each component
	eqAtoms [][]int // unknown atoms of each equation
	eqRHS   []int64 // count or bound, less known atoms and the floor of each unknown one
	// programs caches the linear program of each component.
	programs map[int]*program
}

// published reports whether cell i is published as the table goes out.
func (c *cube) published(i int) bool { return !c.cells[i].Suppressed }

// labelBounds is what the label of a listed withheld cell says of its
// count. "Fewer than k" (BelowK) puts it between 1 and k-1: a cell is
// listed only when it has a case. Every other reason puts it at k or
// more: primary suppression withholds a cell below k as BelowK before any
// other rule looks at it, and secondary suppression, the audit and
// withholdAll only withhold cells it let through. (The grand total of an
// empty population is BelowK with no case; it has no atom, so the bound
// is never applied to it.)
func (c *cube) labelBounds(cell *Cell) (lo, hi int64) {
	if cell.Reason == BelowK {
		return 1, c.opt.K - 1
	}
	return c.opt.K, unbounded
}

// newAttack sets up the attacker against the table as it would go out
// now: the published cells and the labels of the withheld ones. Without
// figures it knows the labels alone — what the table says of its cells
// without a single count, which no withholding can take back (see
// protected).
//
// With org set it is that organisation's attacker: it also knows its own
// cases, which it recorded, and so that each atom holds at least as many
// cases as it has there. It does not know whether other organisations
// have cases there too, so its own count is a floor, not a value. A
// cell withheld to protect another is a figure it may know much of —
// all of it, when the cases are its own — which the general attacker
// takes for any value from k up.
func (c *cube) newAttack(figures bool, org string) *attack {
	n := len(c.atomCount)
	a := &attack{known: make([]bool, n), value: make([]int64, n), floors: c.floorsOf(org)}
	if figures {
		c.pin(a)
	}
	// The remaining equations, grouped into components by union-find.
	// Slack unknowns are numbered from n on; there are at most two per
	// cell (the two bounds of a label).
	parent := make([]int, n+2*len(c.cells))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	// add makes cell i's sum equal to value (coef 0), at least value (-1)
	// or at most value (+1), unless that is implied already.
	add := func(i int, value int64, coef float64) {
		var atoms []int
		rhs := value
		for _, at := range c.cellAtoms[i] {
			if a.known[at] {
				rhs -= a.value[at]
			} else {
				atoms = append(atoms, at)
				rhs -= a.floors[at]
			}
		}
		switch {
		case len(atoms) == 0:
			return // nothing left unknown
		case coef == 0 && len(atoms) < 2:
			return // pinned down already
		case coef < 0 && rhs <= 0:
			return // implied by the floors of its atoms
		}
		slack := -1
		if coef != 0 {
			slack = n + a.slacks
			a.slacks++
			parent[find(slack)] = find(atoms[0])
		}
		a.eqAtoms = append(a.eqAtoms, atoms)
		a.eqRHS = append(a.eqRHS, rhs)
		a.eqSlack = append(a.eqSlack, slack)
		a.eqCoef = append(a.eqCoef, coef)
		for _, at := range atoms[1:] {
			parent[find(at)] = find(atoms[0])
		}
	}
	for i, cell := range c.cells {
		switch {
		case c.published(i):
			if figures {
				add(i, cell.Count, 0)
			}
		case cell.Suppressed:
			lo, hi := c.labelBounds(cell)
			if !c.lowerImplied(i, figures) {
				add(i, lo, -1)
			}
			if hi != unbounded && !c.upperImplied(i) {
				add(i, hi, 1)
			}
		}
	}
	a.comp = make([]int, n+a.slacks)
	root := map[int]int{}
	for at := range n + a.slacks {
		if at < n && a.known[at] {
			a.comp[at] = -1
			continue
		}
		r := find(at)
		ci, ok := root[r]
		if !ok {
			ci = len(a.compVar)
			root[r] = ci
			a.compVar = append(a.compVar, nil)
			a.compEq = append(a.compEq, nil)
		}
		a.comp[at] = ci
		a.compVar[ci] = append(a.compVar[ci], at)
	}
	for e, atoms := range a.eqAtoms {
		ci := a.comp[atoms[0]]
		a.compEq[ci] = append(a.compEq[ci], e)
	}
	return a
}

// upperImplied reports whether the label bound "at most k-1" of cell i
// follows from its total's: a total one level up that is withheld as
// BelowK, and so bounded itself, counts every case of i. Leaving out the
// bounds that say nothing new keeps the programs small; the dense simplex
// slows steeply with every row and slack.
func (c *cube) upperImplied(i int) bool {
	for _, ln := range c.linesOf(i) {
		if ln.total == i {
			continue
		}
		if t := c.cells[ln.total]; t.Suppressed && t.Reason == BelowK {
			return true
		}
	}
	return false
}

// lowerImplied reports whether the label bound "at least k" of cell i
// follows from a cell one level down, whose cases it all counts: one
// withheld for a reason other than BelowK, at least k by its own label,
// or, when the attacker has the figures, one published (at least k too).
func (c *cube) lowerImplied(i int, figures bool) bool {
	for _, ln := range c.linesOf(i) {
		if ln.total != i {
			continue
		}
		for _, j := range ln.cells {
			if ch := c.cells[j]; (ch.Suppressed && ch.Reason != BelowK) || (!ch.Suppressed && figures) {
				return true
			}
		}
	}
	return false
}

// pin marks known, repeatedly, every atom that is alone among the unknown
// atoms of a published cell.
func (c *cube) pin(a *attack) {
	for changed := true; changed; {
		changed = false
		for i, cell := range c.cells {
			if !c.published(i) {
				continue
			}
			rest, unknown, many := cell.Count, -1, false
			for _, at := range c.cellAtoms[i] {
				if a.known[at] {
					rest -= a.value[at]
					continue
				}
				if unknown >= 0 {
					many = true
					break
				}
				unknown = at
			}
			if unknown >= 0 && !many {
				a.known[unknown], a.value[unknown] = true, rest
				changed = true
			}
		}
	}
}

// bounds solves for the smallest and largest value of cell i, rounded
// inward to whole numbers. ok is false when the solver failed, which the
// audit takes as a cell it could not show to be safe. Components are
// independent, so the cell's bounds are the sums of its parts' bounds in
// each component.
//
// Before solving, it tries the feasible points the component's earlier
// programs went through: if they already spread the cell wide enough
// for good, the exact bounds (which can only be wider) are not needed,
// and the inner interval they give is returned instead.
//
// It also returns the feasible points that bear the interval out — in
// each component the cell has atoms in, one where its part is least and
// one where it is greatest (see witnessed).
func (a *attack) bounds(c *cube, i int, good func(interval) bool) (iv interval, ok bool, wits []point) {
	var fixed int64
	parts := map[int][]int{} // component → the cell's unknown atoms in it
	var comps []int
	for _, at := range c.cellAtoms[i] {
		if a.known[at] {
			fixed += a.value[at]
			continue
		}
		fixed += a.floors[at] // the floor of each unknown atom
		ci := a.comp[at]
		if _, seen := parts[ci]; !seen {
			comps = append(comps, ci)
		}
		parts[ci] = append(parts[ci], at)
	}
	iv = interval{fixed, fixed}
	slices.Sort(comps)
	if inner, ok, wits := a.fromPoints(parts, comps, fixed); ok && good(inner) {
		return inner, true, wits
	}
	for _, ci := range comps {
		if len(a.compEq[ci]) == 0 {
			// No published figure names this atom.
			iv.hi = unbounded
			wits = append(wits, point{free: parts[ci]})
			continue
		}
		p, err := a.programOf(ci)
		if err != nil {
			return interval{}, false, nil
		}
		obj := make([]float64, len(p.vars))
		for _, at := range parts[ci] {
			obj[p.col[at]] = 1
		}
		lo, xlo, err := p.solve(obj)
		if err != nil {
			return interval{}, false, nil
		}
		wits = append(wits, point{p: p, x: xlo})
		iv.lo += int64(math.Ceil(lo - 1e-6))
		if iv.hi == unbounded {
			continue
		}
		for j := range obj {
			obj[j] = -obj[j]
		}
		hi, xhi, err := p.solve(obj)
		switch {
		case errors.Is(err, lp.ErrUnbounded):
			iv.hi = unbounded
			wits = append(wits, point{p: p}) // no point: an unbounded ray
		case err != nil:
			return interval{}, false, nil
		default:
			iv.hi += int64(math.Floor(-hi + 1e-6))
			wits = append(wits, point{p: p, x: xhi})
		}
	}
	return iv, true, wits
}

// point is a feasible solution of a component's program, or, with free
// set, the cell's atoms in a component no figure names (each at its
// floor at least, and unbounded).
type point struct {
	p    *program
	x    []float64 // nil for the ray of an unbounded maximum
	free []int
}

// witnessed reports whether every point is also feasible for an attacker
// that knows more floors (an organisation's own cases): then that
// attacker can reach the same least and greatest values, so its interval
// is at least as wide as the one the points bear out, and needs no
// program of its own. A ray is not checked, and says no.
func (a *attack) witnessed(wits []point, floors []int64) bool {
	n := len(a.floors)
	for _, w := range wits {
		if w.free != nil {
			for _, at := range w.free {
				if floors[at] > a.floors[at] {
					return false
				}
			}
			continue
		}
		if w.x == nil {
			return false
		}
		for j, at := range w.p.vars {
			if at < n && w.x[j]+float64(a.floors[at]) < float64(floors[at])-1e-6 {
				return false
			}
		}
	}
	return true
}

// fromPoints is the interval the known feasible points of the components
// spread the cell over; ok is false when a component has none yet.
func (a *attack) fromPoints(parts map[int][]int, comps []int, fixed int64) (interval, bool, []point) {
	var wits []point
	lo, hi := float64(fixed), float64(fixed)
	unb := false
	for _, ci := range comps {
		if len(a.compEq[ci]) == 0 {
			unb = true
			wits = append(wits, point{free: parts[ci]})
			continue
		}
		p := a.programs[ci]
		if p == nil || len(p.points) == 0 {
			return interval{}, false, nil
		}
		pmin, pmax := math.Inf(1), math.Inf(-1)
		var xmin, xmax []float64
		for _, x := range p.points {
			v := 0.0
			for _, at := range parts[ci] {
				v += x[p.col[at]]
			}
			if v < pmin {
				pmin, xmin = v, x
			}
			if v > pmax {
				pmax, xmax = v, x
			}
		}
		lo, hi = lo+pmin, hi+pmax
		wits = append(wits, point{p: p, x: xmin}, point{p: p, x: xmax})
	}
	iv := interval{int64(math.Ceil(lo - 1e-6)), int64(math.Floor(hi + 1e-6))}
	if unb {
		iv.hi = unbounded
	}
	return iv, iv.lo <= iv.hi, wits
}

// maxPoints bounds the feasible points kept per component.
const maxPoints = 64

// program is the linear program of one component: its equations in
// standard form (A y = b, y ≥ 0, y the atoms less their floor and the
// slacks of the bounds) and a feasible basis to start every objective
// from, so that the simplex's first phase runs once per component, not
// twice per cell.
type program struct {
	vars  []int
	col   map[int]int
	A     *mat.Dense
	b     []float64
	basis []int
	// points are feasible solutions met so far (optima of earlier
	// objectives), to spread cells over before solving for them.
	points [][]float64
}

func (a *attack) programOf(ci int) (*program, error) {
	if a.programs == nil {
		a.programs = map[int]*program{}
	}
	if p, ok := a.programs[ci]; ok {
		return p, nil
	}
	p := &program{vars: a.compVar[ci], col: map[int]int{}}
	for j, at := range p.vars {
		p.col[at] = j
	}
	rows := make([][]float64, 0, len(a.compEq[ci]))
	rhs := make([]float64, 0, len(a.compEq[ci]))
	for _, e := range a.compEq[ci] {
		row := make([]float64, len(p.vars))
		for _, at := range a.eqAtoms[e] {
			row[p.col[at]] = 1
		}
		if sl := a.eqSlack[e]; sl >= 0 {
			row[p.col[sl]] = a.eqCoef[e]
		}
		rows = append(rows, row)
		rhs = append(rhs, float64(a.eqRHS[e]))
	}
	rows, p.b = independentRows(rows, rhs)
	p.A = mat.NewDense(len(rows), len(p.vars), nil)
	for r, row := range rows {
		p.A.SetRow(r, row)
	}
	_, x, err := lp.Simplex(make([]float64, len(p.vars)), p.A, p.b, 1e-10, nil)
	if err != nil {
		return nil, err
	}
	p.basis = basisOf(p.A, x)
	p.points = append(p.points, x)
	a.programs[ci] = p
	return p, nil
}

// solve minimises obj·y over the component, from its feasible basis when
// it has one, and returns the optimum and where it is.
func (p *program) solve(obj []float64) (float64, []float64, error) {
	f, x, err := simplex(obj, p.A, p.b, p.basis)
	if p.basis != nil && err != nil && !errors.Is(err, lp.ErrUnbounded) {
		f, x, err = simplex(obj, p.A, p.b, nil)
	}
	if err == nil {
		if len(p.points) < maxPoints {
			p.points = append(p.points, x)
		}
		// The next objective starts from this optimum: the next cell's
		// is a few pivots away as a rule.
		if b := basisOf(p.A, x); b != nil {
			p.basis = b
		}
	}
	return f, x, err
}

// simplex is lp.Simplex with its panics made errors. It panics when the
// starting basis it is given is not feasible, which rounding can make of
// a basis read off an earlier optimum; the caller then starts afresh, and
// a program that cannot be solved leaves its cell unverified, withheld.
func simplex(obj []float64, A *mat.Dense, b []float64, basis []int) (f float64, x []float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, x, err = 0, nil, fmt.Errorf("simplex: %v", r)
		}
	}()
	return lp.Simplex(obj, A, b, 1e-10, basis)
}

// basisOf picks m linearly independent columns of A that include every
// column where the basic feasible solution x is positive: a basis at x.
// nil when none is found (solve then starts from scratch).
func basisOf(A *mat.Dense, x []float64) []int {
	m, n := A.Dims()
	if m == n {
		return nil // solved directly, no basis needed
	}
	order := make([]int, 0, n)
	for j := range n {
		if x[j] > 1e-9 {
			order = append(order, j)
		}
	}
	for j := range n {
		if x[j] <= 1e-9 {
			order = append(order, j)
		}
	}
	cols := make([][]float64, 0, n)
	for _, j := range order {
		cols = append(cols, mat.Col(nil, j, A))
	}
	keep := independent(cols)
	if len(keep) != m {
		return nil
	}
	out := make([]int, m)
	for i, k := range keep {
		out[i] = order[k]
	}
	return out
}

// independentRows drops equations that are combinations of the others
// (a grand total is the sum of its rows, and so on): the simplex needs a
// matrix of full row rank. The table's equations are consistent, so a
// dependent row says nothing new.
func independentRows(rows [][]float64, rhs []float64) ([][]float64, []float64) {
	keep := independent(rows)
	outRows := make([][]float64, len(keep))
	outRHS := make([]float64, len(keep))
	for i, r := range keep {
		outRows[i], outRHS[i] = rows[r], rhs[r]
	}
	return outRows, outRHS
}

// independent returns the indices of a maximal linearly independent set of
// the vectors, taken greedily in order (Gaussian elimination).
func independent(vecs [][]float64) []int {
	var basis [][]float64 // reduced vectors, each 1 at its pivot
	var pivots []int
	var keep []int
	for r, vec := range vecs {
		v := slices.Clone(vec)
		for bi, b := range basis {
			if f := v[pivots[bi]]; f != 0 {
				for j := range v {
					v[j] -= f * b[j]
				}
			}
		}
		p, best := -1, 1e-9
		for j := range v {
			if math.Abs(v[j]) > best {
				p, best = j, math.Abs(v[j])
			}
		}
		if p < 0 {
			continue
		}
		scale := v[p]
		for j := range v {
			v[j] /= scale
		}
		basis = append(basis, v)
		pivots = append(pivots, p)
		keep = append(keep, r)
		if len(keep) == len(vec) {
			break
		}
	}
	return keep
}
