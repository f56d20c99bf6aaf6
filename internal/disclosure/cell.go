package disclosure

import "math/bits"

// Reason says why a cell is withheld.
type Reason uint8

const (
	// Published: the cell's count may be shown.
	Published Reason = iota
	// BelowK: the cell counts fewer than k cases.
	BelowK
	// Complement: dropping some of the filters would add between 1 and
	// k-1 cases to the cell — or a difference one organisation's own cases
	// could reduce to that — so the two answers could be subtracted.
	Complement
	// SmallSelection: one of the values a filter selects accounts for
	// between 1 and k-1 of the cell's cases.
	SmallSelection
	// SmallRemainder: the values of a filtered attribute held by fewer
	// than k cases add up to between 1 and k-1, which the answers for the
	// common values would reveal by subtraction.
	SmallRemainder
	// Secondary: withheld so that a withheld cell cannot be worked out
	// from the totals published beside it.
	Secondary
	// ByCaller: withheld by the caller's own rule (Options.Withhold).
	ByCaller
	// Contributor: one organisation's cases make up all of the cell but
	// 1 to k-1 others, which that organisation could subtract: it knows
	// its own cases, and may have added them for that very purpose.
	Contributor
	// Unverified: the attacker's audit could not finish within its time
	// budget, so it could not show that the cell is safe to publish. It
	// says nothing of the cell's size: every cell of such a table but its
	// grand total is Unverified, small ones included.
	Unverified
)

// Primary reports whether the cell was withheld for what it counts itself,
// not to protect another cell.
func (r Reason) Primary() bool { return r != Published && r != Secondary && r != Unverified }

func (r Reason) String() string {
	switch r {
	case Published:
		return "published"
	case BelowK:
		return "fewer than k cases"
	case Complement:
		return "differs from a broader query by fewer than k cases"
	case SmallSelection:
		return "a selected value holds fewer than k cases"
	case SmallRemainder:
		return "the rare values of a filtered attribute add up to fewer than k cases"
	case Secondary:
		return "withheld to protect another cell"
	case ByCaller:
		return "withheld by the caller's rule"
	case Contributor:
		return "one organisation holds all but fewer than k of the cases"
	case Unverified:
		return "the check against combining figures could not finish in time"
	}
	return "unknown"
}

// Cell is one count of the table: a cell proper when it has a value for
// every dimension, a total when it leaves some out.
type Cell struct {
	// Has has bit i set when the cell has a value for dimension i.
	Has uint32
	// Values holds the value of each dimension in Has; the others are "".
	Values []string
	// Count is the number of cases; meaningful only when not Suppressed.
	Count int64
	// Suppressed is true when the count must be withheld.
	Suppressed bool
	// Reason says why; Published when not suppressed.
	Reason Reason
	// Filter is the filter that made a Complement, SmallSelection or
	// SmallRemainder cell small (the lowest one, for a combination), or -1.
	Filter int
}

// Full reports whether the cell has a value for each of dims dimensions.
func (c *Cell) Full(dims int) bool { return bits.OnesCount32(c.Has) == dims }

// IsGrandTotal reports whether the cell sums over every dimension.
func (c *Cell) IsGrandTotal() bool { return c.Has == 0 }

func (c *Cell) suppress(r Reason, filter int) {
	if c.Suppressed {
		return
	}
	c.Suppressed, c.Reason, c.Filter = true, r, filter
}
