package disclosure

import "time"

// Table is a protected table: every cell with at least one case of the
// population, every level of totals, and the grand total.
type Table struct {
	// Dims is the number of dimensions.
	Dims int
	// Cells holds the grand total first, then the totals by how many
	// dimensions they keep, then the full cells; within a level, by value.
	Cells []*Cell
	// Audit says what the attacker's audit did.
	Audit AuditReport
}

// AuditReport describes the attacker's audit of one table.
type AuditReport struct {
	// Rounds is how many times the attacker was played: one more for each
	// round of further withholding.
	Rounds int
	// Largest is the most unknowns of one linear program the audit solved.
	Largest int
	// Duration is how long the audit took.
	Duration time.Duration
	// Exhausted is set when the audit ran out of its budget
	// (Options.AuditBudget), or could not start (a multi-valued table of
	// more than MaxMultiValuedAtoms atoms), and so withheld every cell but
	// the grand total as Unverified.
	Exhausted bool
}

// Protect builds the table of the groups and withholds what may not be
// published: primary suppression by the threshold and the differencing
// rules, then secondary suppression along every margin line. A withheld
// cell keeps Count 0 so that a caller cannot leak it by mistake.
func Protect(groups []Group, opt Options) (*Table, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	c := newCube(opt)
	for i := range groups {
		if err := opt.checkGroup(&groups[i]); err != nil {
			return nil, err
		}
		if groups[i].Fails == 0 {
			c.addInside(&groups[i])
		}
	}
	for i := range groups {
		if groups[i].Fails != 0 {
			c.addOutside(&groups[i])
		}
	}
	c.sort()
	c.primary()
	c.secondary()
	start := time.Now()
	rounds, largest := c.audit()
	took := time.Since(start)
	for _, cell := range c.cells {
		if cell.Suppressed {
			cell.Count = 0
		}
	}
	return &Table{Dims: opt.Dims, Cells: c.cells, Audit: AuditReport{Rounds: rounds, Largest: largest, Duration: took, Exhausted: c.exhausted}}, nil
}

// Total returns the grand total.
func (t *Table) Total() *Cell { return t.Cells[0] }

// Full returns the cells that have a value for every dimension; none for a
// table without dimensions, which is its grand total alone.
func (t *Table) Full() []*Cell {
	var out []*Cell
	for _, c := range t.Cells {
		if t.Dims > 0 && c.Full(t.Dims) {
			out = append(out, c)
		}
	}
	return out
}

// Margins returns the totals: every cell that sums over at least one
// dimension, the grand total first.
func (t *Table) Margins() []*Cell {
	var out []*Cell
	for _, c := range t.Cells {
		if t.Dims == 0 || !c.Full(t.Dims) {
			out = append(out, c)
		}
	}
	return out
}
