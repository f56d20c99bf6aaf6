package disclosure

import (
	"time"
)

// MaxMultiValuedAtoms is the most atoms (distinct combinations of value
// sets) of a multi-valued table the audit solves for. Such a program is one
// component (every total links all of it) with a slack unknown per withheld
// cell, and the dense simplex slows steeply with it: a sparse table of 186
// unknowns took 10 s, and year × nationality × form over a few thousand
// cases runs past any budget a caller would wait for. Past the bound the
// audit does not start: every cell but the grand total is withheld as
// Unverified at once, as when the budget runs out.
const MaxMultiValuedAtoms = 96

// DefaultAuditBudget is how long the audit of one table may take when
// Options.AuditBudget is zero: well inside the 20 s a statistics call may
// run (the Stats class timeout of internal/limits), so that a table whose
// audit cannot finish is answered, withheld as Unverified, rather than
// cut off with DeadlineExceeded.
const DefaultAuditBudget = 10 * time.Second

// safe reports whether an attacker's interval leaves a cell withheld for
// what it counts itself (primary) protected. A cell below k must keep
// every value from 1 to k-1, all its label allows: the figures may not
// tell a reader more than "fewer than k". A cell withheld for any other
// primary reason has at least k cases, as its label tells, and must keep
// k possible values from k upwards.
func safe(r Reason, iv interval, k int64) bool {
	if r == BelowK {
		return iv.lo <= 1 && iv.hi >= k-1
	}
	lo := max(iv.lo, k)
	return iv.hi == unbounded || iv.hi-lo+1 >= k
}

// protected reports whether a withheld cell may go out as it is: iv is
// what the figures and labels together leave of it, alone what the labels
// alone do. A cell withheld to protect another (Secondary) needs no
// interval of its own: primary suppression let it through, so it could
// have been published, and every cell it protects is solved against all
// the table says, its own label included. A primary cell is protected
// when its interval is safe, or when the figures narrow it no further
// than the labels alone: a total marked "fewer than k" over several
// listed cells bounds each of them below k-1, and that withholding more
// cannot undo (it is a limit of listing withheld cells with their
// reasons, not something the audit can close).
func protected(r Reason, iv, alone interval, k int64) bool {
	if !r.Primary() {
		return true
	}
	return safe(r, iv, k) || (iv.lo <= alone.lo && iv.hi >= alone.hi)
}

// audit plays the attacker against the table as it would be published —
// its figures and the labels of its withheld cells — and withholds more
// until every withheld cell is protected. When the budget runs out it
// withholds every cell: an audit that could not finish never publishes
// more.
//
// A table where some case counts under several values of a dimension
// (forms of exploitation) is audited too: its totals are not sums of its
// cells, but every published figure is still a sum of atoms, which is all
// the attacker's equations need (see attack). Its atoms are combinations
// of value sets, far more than its cells, and all linked by the totals
// into one program, which makes its audit slow; up to MaxMultiValuedAtoms
// it is audited all the same, within the same budget, and past it every
// cell is withheld, since a table the line rule alone protects can give a
// person away.
func (c *cube) audit() (rounds, largest int) {
	if c.multiValued && len(c.atomCount) > MaxMultiValuedAtoms && c.anySuppressed() {
		c.withholdAll()
		return 0, 0
	}
	budget := c.opt.AuditBudget
	if budget <= 0 {
		budget = DefaultAuditBudget
	}
	deadline := time.Now().Add(budget)
	// The attackers: anyone with the table, and each organisation with
	// cases in it, which knows those too ("" is the first).
	views := append([]string{""}, c.orgs...)
	// Withholding a cell only trades the equation of its count for the
	// looser bound of its label, which can only widen what an attacker
	// can tell of the others, while the labels alone only tell more: a
	// cell found protected against an attacker stays protected, and is
	// not solved for again.
	verified := make([][]bool, len(views))
	for v := range views {
		verified[v] = make([]bool, len(c.cells))
	}
	for {
		rounds++
		attackers := make([]*attack, len(views))
		labels := make([]*attack, len(views)) // the labels alone, set up when first needed
		skip := make([]bool, len(views))
		for v, org := range views {
			skip[v] = org != "" && !c.knowsMore(org)
		}
		var failing []int
		for i, cell := range c.cells {
			if !cell.Suppressed || !cell.Reason.Primary() {
				continue
			}
			// The points that bore out the general attacker's interval
			// of this cell in this round: an organisation that can
			// reach them too is answered by them (witnessed).
			var wits []point
			for v, org := range views {
				if verified[v][i] || skip[v] || (org != "" && c.ownsAll(org, i)) {
					continue
				}
				if wits != nil && attackers[0].witnessed(wits, c.floorsOf(org)) {
					verified[v][i] = true
					continue
				}
				if time.Now().After(deadline) {
					c.withholdAll()
					return rounds, largest
				}
				if attackers[v] == nil {
					attackers[v] = c.newAttack(true, org)
					for _, vars := range attackers[v].compVar {
						largest = max(largest, len(vars))
					}
				}
				good := func(iv interval) bool { return safe(cell.Reason, iv, c.opt.K) }
				iv, ok, w := attackers[v].bounds(c, i, good)
				if v == 0 {
					wits = w
				}
				if ok && !good(iv) {
					if labels[v] == nil {
						labels[v] = c.newAttack(false, org)
					}
					var alone interval
					alone, ok, _ = labels[v].bounds(c, i, func(interval) bool { return false })
					ok = ok && protected(cell.Reason, iv, alone, c.opt.K)
				}
				if !ok {
					failing = append(failing, i)
					break
				}
				verified[v][i] = true
			}
		}
		if len(failing) == 0 {
			return rounds, largest
		}
		more := false
		for _, i := range failing {
			more = c.protectMore(i) || more
		}
		if !more {
			// Every cell is withheld already: nothing is left to
			// publish, and so nothing to audit.
			return rounds, largest
		}
		c.secondary()
	}
}

// protectMore withholds one more cell to widen what the attacker can tell
// of cell i: the smallest published cell that shares a margin line with it
// (ties go to the first by cell key), or, when none is left there, the
// smallest published cell of the table.
func (c *cube) protectMore(i int) bool {
	pick := -1
	consider := func(j int) {
		if j == i || c.cells[j].Suppressed {
			return
		}
		if pick < 0 || c.cells[j].Count < c.cells[pick].Count || (c.cells[j].Count == c.cells[pick].Count && j < pick) {
			pick = j
		}
	}
	for _, ln := range c.linesOf(i) {
		consider(ln.total)
		for _, j := range ln.cells {
			consider(j)
		}
	}
	if pick < 0 {
		for j := range c.cells {
			consider(j)
		}
	}
	if pick < 0 {
		return false
	}
	c.cells[pick].suppress(Secondary, -1)
	return true
}

// linesOf returns the margin lines cell i belongs to, as a total or as a
// member.
func (c *cube) linesOf(i int) []line {
	if c.lineCache == nil {
		// The lines do not change as cells are withheld.
		c.lineCache = c.lines()
		c.lineMember = make([][]int, len(c.cells))
		for li, ln := range c.lineCache {
			c.lineMember[ln.total] = append(c.lineMember[ln.total], li)
			for _, j := range ln.cells {
				c.lineMember[j] = append(c.lineMember[j], li)
			}
		}
	}
	out := make([]line, 0, len(c.lineMember[i]))
	for _, li := range c.lineMember[i] {
		out = append(out, c.lineCache[li])
	}
	return out
}

// anySuppressed reports whether any cell is withheld: a table with none
// leaves the attacker nothing to solve for.
func (c *cube) anySuppressed() bool {
	for _, cell := range c.cells {
		if cell.Suppressed {
			return true
		}
	}
	return false
}

// withholdAll withholds every cell but the grand total as Unverified:
// the audit could not show that publishing any of them is safe. Cells
// withheld already are relabelled Unverified too, which says nothing of a
// cell's size, small or not: beside the grand total the labels would
// otherwise be equations of their own — a total of 6 over a cell "fewer
// than 5" and one "at least 5" says the first is 1 — that nobody has
// checked. The grand total stays only when the listing leaves every
// small cell all of 1 to k-1 beside it (listingLeavesRoom); otherwise it
// is withheld as Unverified too (twelve listed nationalities and a total
// of 12 say each is one person).
func (c *cube) withholdAll() {
	c.exhausted = true
	for _, cell := range c.cells[1:] {
		cell.Suppressed, cell.Reason, cell.Filter = true, Unverified, -1
	}
	if total := c.cells[0]; !total.Suppressed && !c.listingLeavesRoom() {
		total.Suppressed, total.Reason, total.Filter = true, Unverified, -1
	}
}

// listingLeavesRoom reports whether the grand total beside the listed
// cells alone leaves every cell up to k-1 cases. The cells of the
// dimensions that take one value per case partition the population, each
// listed one holding at least one case, so each holds at most the total
// less one for every other listed cell of them; a cell of a multi-valued
// dimension (forms) lies within one of those, and is bounded no tighter.
func (c *cube) listingLeavesRoom() bool {
	single := (uint32(1)<<uint(c.opt.Dims) - 1) &^ c.multiDims
	listed := int64(0)
	for _, cell := range c.cells {
		if cell.Has == single && cell.Count > 0 {
			listed++
		}
	}
	return c.cells[0].Count-(listed-1) >= c.opt.K-1
}

// knowsMore reports whether org's own cases could tell it more than
// anyone knows: whether it has cases in an atom of a withheld cell beyond
// the floor every attacker knows (one case in each listed atom of a
// table of single values). Atoms of published cells only are known to
// all.
func (c *cube) knowsMore(org string) bool {
	own, base := c.floorsOf(org), c.floorsOf("")
	for i, cell := range c.cells {
		if !cell.Suppressed {
			continue
		}
		for _, at := range c.cellAtoms[i] {
			if own[at] > base[at] {
				return true
			}
		}
	}
	return false
}

// floorsOf is the least value of each atom that org's attacker knows (see
// newAttack): 1 in a table of single values (a listed atom has a case),
// 0 in a multi-valued one, or org's own cases there when more; "" is
// anyone's. It is kept for the audit, and never changed.
func (c *cube) floorsOf(org string) []int64 {
	if f, ok := c.orgFloors[org]; ok {
		return f
	}
	base := int64(1)
	if c.multiValued {
		base = 0
	}
	f := make([]int64, len(c.atomCount))
	for at := range f {
		f[at] = max(base, c.atomOrgs[at][org])
	}
	if c.orgFloors == nil {
		c.orgFloors = map[string][]int64{}
	}
	c.orgFloors[org] = f
	return f
}

// ownsAll reports whether every case of cell i is org's own. Nothing of
// other organisations' cases is there to protect from it: it learns at
// most that they have none, and a cell only it counts would otherwise be
// pinned by its own knowledge and the figures around it however much
// were withheld.
func (c *cube) ownsAll(org string, i int) bool {
	var own int64
	for _, at := range c.cellAtoms[i] {
		own += c.atomOrgs[at][org]
	}
	return own == c.cells[i].Count
}
