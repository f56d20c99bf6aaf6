package stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/disclosure/noise"
	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// maxNoisyCounts bounds the counts of one noisy table: every combination
// of every dimension's possible values gets its own noise, so the domain,
// not the data, sets the work.
const maxNoisyCounts = 200_000

// firstYear is the earliest year of identification a case may have (as the
// API validates it).
const firstYear = 1950

// release says how a noisy table was made.
type release struct {
	eps   noise.Epsilon
	delta int64
}

func (r *release) description() string {
	return fmt.Sprintf("discrete Laplace (two-sided geometric) noise, exact sampler over crypto/rand: each count plus Z with P(Z=z) = (1-p)/(1+p)·p^|z|, p = exp(-ε/Δ), ε = %s, Δ = %d (the most counts one case changes); noisy counts below 0 are shown as 0, and cells not listed are 0",
		r.eps, r.delta)
}

// domain lists the values column c can take, whatever the data: the
// noisy table releases a count for each of them, empty or not, since
// leaving out an empty cell would say that it is empty. A filter on the
// column's own attribute narrows its domain to the values selected.
func (t *tableSpec) domain(c column, now time.Time) ([]string, error) {
	f := c.field
	if f == nil {
		return nil, rpcerr.InvalidArgument("noisy", "the %s column has no fixed set of values: a noisy table counts by coded attributes only", c.name)
	}
	for _, sel := range t.sels {
		if sel.field == f && f.kind != kindForms {
			var out []string
			for _, v := range sel.values {
				out = append(out, f.values(v)[0])
			}
			return out, nil
		}
	}
	out := []string{""} // unknown
	switch f.kind {
	case kindYear:
		for y := firstYear; y <= now.Year(); y++ {
			out = append(out, strconv.Itoa(y))
		}
	case kindCode:
		out = append(out, countryCodes()...)
	default:
		vals := f.enum.Values()
		for i := range vals.Len() {
			if v := vals.Get(i); v.Number() != 0 {
				out = append(out, string(v.Name()))
			}
		}
	}
	return out, nil
}

// countryCodes are the ISO 3166-1 alpha-2 codes the API accepts.
var countryCodes = func() func() []string {
	var codes []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if c := string([]rune{a, b}); iso.ValidCountry(c) {
				codes = append(codes, c)
			}
		}
	}
	return func() []string { return codes }
}()

// multiplicity is the most values of column c one case counts under: all
// the forms for a multi-valued attribute, one otherwise.
func multiplicity(c column, domain []string) int64 {
	if c.field != nil && c.field.kind == kindForms {
		return int64(len(domain) - 1) // every form but "unknown", which excludes them
	}
	return 1
}

// levelsReleased lists the sets of dimensions (as bit sets over the
// canonical columns) whose counts a table releases: the full cells, and,
// unless only cells are released, every level of totals.
func levelsReleased(dims int, cellsOnly bool) []uint32 {
	full := uint32(1)<<uint(dims) - 1
	if cellsOnly {
		return []uint32{full}
	}
	var out []uint32
	for has := uint32(0); has <= full; has++ {
		out = append(out, has)
	}
	return out
}

// noisyTable counts the rows of the population (those passing every
// filter) in every cell of the table's domain and adds discrete Laplace
// noise of scale Δ/ε to each, Δ being the most released counts one case
// can change. No cell is withheld and no rule of the exact tables
// applies: the noise protects every count, small or not, and the whole
// release costs ε of the budget. The columns are in canonical order.
func (s *Service) noisyTable(t *tableSpec, rows []row, eps noise.Epsilon, cellsOnly bool, now time.Time) (*disclosure.Table, *release, error) {
	order := canonicalOrder(t.columns)
	cols := make([]column, len(order))
	domains := make([][]string, len(order))
	for p, ci := range order {
		cols[p] = t.columns[ci]
		d, err := t.domain(cols[p], now)
		if err != nil {
			return nil, nil, err
		}
		domains[p] = d
	}
	levels := levelsReleased(len(cols), cellsOnly)
	var delta, size int64
	for _, has := range levels {
		m, n := int64(1), int64(1)
		for p := range cols {
			if has&(1<<uint(p)) != 0 {
				m *= multiplicity(cols[p], domains[p])
				n *= int64(len(domains[p]))
				if n > maxNoisyCounts {
					break
				}
			}
		}
		delta += m
		size += n
		if size > maxNoisyCounts {
			return nil, nil, rpcerr.InvalidArgument("dimensions", "a noisy table by these dimensions would release more than %d counts (one for every combination of their possible values): filter the years, countries or nationalities it counts, or count by fewer dimensions", maxNoisyCounts)
		}
	}
	at := make([]int, len(t.sels))
	for j, sel := range t.sels {
		at[j] = t.use(sel.field)
	}
	// The true counts of the population, by cell.
	counts := map[string]int64{}
	values := make([]string, len(cols))
	for _, r := range rows {
		pass := true
		for j, sel := range t.sels {
			if ok, _, _ := sel.test(r.values[at[j]]); !ok {
				pass = false
				break
			}
		}
		if !pass {
			continue
		}
		vals := make([][]string, len(cols))
		for p, c := range cols {
			vs := slices.Clone(c.values(r))
			slices.Sort(vs)
			vals[p] = slices.Compact(vs)
		}
		for _, has := range levels {
			eachCombination(has, vals, values, func() { counts[noisyKey(has, values)] += r.count })
		}
	}
	smp := noise.New()
	tab := &disclosure.Table{Dims: len(cols)}
	for _, has := range levels {
		var err error
		eachCombination(has, domains, values, func() {
			if err != nil {
				return
			}
			var z int64
			if z, err = smp.Noise(eps, delta); err != nil {
				return
			}
			if v := counts[noisyKey(has, values)] + z; v > 0 {
				tab.Cells = append(tab.Cells, &disclosure.Cell{Has: has, Values: slices.Clone(values), Count: v, Filter: -1})
			}
		})
		if err != nil {
			return nil, nil, fmt.Errorf("noisy table: %w", err)
		}
	}
	if len(tab.Cells) == 0 || tab.Cells[0].Has != 0 {
		// The grand total comes first, even when its noisy count is 0.
		tab.Cells = append([]*disclosure.Cell{{Values: make([]string, len(cols)), Filter: -1}}, tab.Cells...)
	}
	return tab, &release{eps: eps, delta: delta}, nil
}

// eachCombination sets values to every combination of vals over the
// dimensions in has ("" elsewhere) and calls fn for each.
func eachCombination(has uint32, vals [][]string, values []string, fn func()) {
	var walk func(p int)
	walk = func(p int) {
		if p == len(vals) {
			fn()
			return
		}
		if has&(1<<uint(p)) == 0 {
			values[p] = ""
			walk(p + 1)
			return
		}
		for _, v := range vals[p] {
			values[p] = v
			walk(p + 1)
		}
	}
	walk(0)
}

// noisyKey names a cell of a noisy table.
func noisyKey(has uint32, values []string) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(has)))
	for p, v := range values {
		if has&(1<<uint(p)) != 0 {
			b.WriteString("\x1f" + v)
		}
	}
	return b.String()
}
