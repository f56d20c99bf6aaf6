package disclosure

import (
	"errors"
	"fmt"
	"time"
)

// MaxDims bounds the dimensions of a table: every subset of them is a
// level of totals, so the work doubles with each one.
const MaxDims = 12

// MaxFilters bounds the filters of a query: the complement rule looks at
// every combination of them.
const MaxFilters = 16

// Group is a number of cases that look the same to one table and its
// filters. Groups need not be distinct: two groups with the same values are
// simply added.
type Group struct {
	// Values holds, for each dimension of the table, the values the group
	// is counted under: exactly one for an ordinary attribute, one or more
	// for a multi-valued one (a case with two forms of exploitation is
	// counted once under each, and once in any total that sums over them).
	Values [][]string
	// Count is the number of cases in the group.
	Count int64
	// Fails has bit f set when the group fails filter f. Groups with
	// Fails == 0 are the population the table counts; the others are what
	// a broader query — one with fewer filters — would count as well.
	Fails uint32
	// Via holds, for each filter the group passes, the key of the selected
	// value (or values, for a multi-valued attribute) it passes through.
	Via []string
	// Own holds, for each filter, the key of the group's own value of the
	// filtered attribute, selected or not.
	Own []string
	// Org is the organisation the cases belong to, for the contributor
	// rule; "" when the caller does not say (the rule is then not applied
	// to these cases).
	Org string
}

// Options describe the table to protect.
type Options struct {
	// K is the threshold: counts below it are withheld. At least 2.
	K int64
	// Dims is the number of dimensions of the table (0 for a single total).
	Dims int
	// Filters is the number of filters of the query (each an attribute
	// restricted to some values).
	Filters int
	// Required has bit f set for a filter that every query of this kind
	// carries, such as the period of an indicator. No broader query can
	// drop it, so the complement and remainder rules skip it; a wider
	// selection is still guarded by the selection rule of the query that
	// asks for it.
	Required uint32
	// Withhold, when set, is a further primary rule of the caller: a cell
	// it reports is withheld like a small one, before secondary
	// suppression runs (for example a count of events that rests on fewer
	// than k persons).
	Withhold func(*Cell) bool
	// AuditBudget bounds the time the attacker's audit of one table may
	// take (DefaultAuditBudget when zero); past it every cell is withheld.
	AuditBudget time.Duration
}

func (o Options) check() error {
	switch {
	case o.K < 2:
		return fmt.Errorf("disclosure: k must be at least 2, got %d", o.K)
	case o.Dims < 0 || o.Dims > MaxDims:
		return fmt.Errorf("disclosure: %d dimensions, want 0 to %d", o.Dims, MaxDims)
	case o.Filters < 0 || o.Filters > MaxFilters:
		return fmt.Errorf("disclosure: %d filters, want 0 to %d", o.Filters, MaxFilters)
	case o.Required>>uint(o.Filters) != 0:
		return fmt.Errorf("disclosure: required filter bits %b beyond the %d filters", o.Required, o.Filters)
	}
	return nil
}

func (o Options) checkGroup(g *Group) error {
	if len(g.Values) != o.Dims {
		return fmt.Errorf("disclosure: group has %d dimensions, the table %d", len(g.Values), o.Dims)
	}
	for i, v := range g.Values {
		if len(v) == 0 {
			return fmt.Errorf("disclosure: group has no value for dimension %d", i)
		}
	}
	if g.Count < 0 {
		return errors.New("disclosure: negative group count")
	}
	if o.Filters > 0 && (len(g.Via) != o.Filters || len(g.Own) != o.Filters) {
		return fmt.Errorf("disclosure: group describes %d/%d filters, the query has %d", len(g.Via), len(g.Own), o.Filters)
	}
	if g.Fails>>uint(o.Filters) != 0 {
		return fmt.Errorf("disclosure: group fails filter bits %b beyond the %d filters", g.Fails, o.Filters)
	}
	return nil
}
