package stats

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/disclosure"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// column is one dimension of a table: the values a row is counted under,
// and how those values sort.
type column struct {
	name string
	// header names the CSV columns the column is written in, when not
	// the one column name: a CTDC attribute may fill several, its values
	// joined with ctdcSep.
	header []string
	// field is the coded attribute counted, nil for a column written in
	// the CTDC layout (its values are CTDC's words, not coded values).
	field   *field
	values  func(r row) []string
	compare func(a, b string) int
}

// tableSpec is a table to count: what to read, how to lay it out, and the
// filter.
type tableSpec struct {
	// kind names the layout ("cases", "ctdc"), for the cache.
	kind    string
	fields  []*field
	columns []column
	sels    []selection
	// cellsOnly is set when only the full cells are published (an
	// export): a noisy table then releases, and pays for, those alone.
	cellsOnly bool
}

// use returns the position of f among the fields read, adding it.
func (t *tableSpec) use(f *field) int {
	if i := slices.Index(t.fields, f); i >= 0 {
		return i
	}
	t.fields = append(t.fields, f)
	return len(t.fields) - 1
}

// dimension adds a column that counts by a coded attribute.
func (t *tableSpec) dimension(f *field) {
	i := t.use(f)
	t.columns = append(t.columns, column{
		name:    f.name,
		field:   f,
		values:  func(r row) []string { return f.values(r.values[i]) },
		compare: f.compare,
	})
}

// tableFor lays out a table by coded attributes with a filter.
func tableFor(dims []casebridgev1.Dimension, filter *casebridgev1.StatsFilter) (*tableSpec, error) {
	sels, err := selections(filter)
	if err != nil {
		return nil, err
	}
	t := &tableSpec{kind: "cases", sels: sels}
	for _, d := range dims {
		f := fieldOf(d)
		if f == nil {
			return nil, rpcerr.InvalidArgument("dimensions", "unknown dimension %v", d)
		}
		t.dimension(f)
	}
	return t, nil
}

// count answers t exactly: from the cache when the population is
// unchanged, otherwise read and protected afresh, with how it was made. A table whose grand total
// must be withheld is refused as a whole with FailedPrecondition: it would
// publish nothing but the shape of a small group, and a refusal says
// plainly why.
func (s *Service) count(ctx context.Context, t *tableSpec) (*disclosure.Table, *casebridgev1.Release, error) {
	a, repeated, err := s.answer(ctx, t, nil)
	if err != nil {
		return nil, nil, err
	}
	if total := a.tab.Total(); total.Reason.Primary() {
		return nil, nil, s.refusal(total, t.sels)
	}
	rel := exactRelease()
	rel.Repeated = repeated
	return layout(a.tab, canonicalOrder(t.columns)), rel, nil
}

// answer returns t's table in canonical column order, exact or (with nq)
// noisy, and whether it repeats an answer made before (kept, or made for
// a concurrent asker of the same table): a repeated noisy answer spent no
// budget for this caller. The population's version is
// read in the same snapshot as its rows, so the answer kept is about
// exactly the population it names; concurrent askers of the same table
// share one count when it is released, and count for themselves when it
// is not.
func (s *Service) answer(ctx context.Context, t *tableSpec, nq *noisyQuery) (a *answer, repeated bool, err error) {
	for _, sel := range t.sels {
		t.use(sel.field) // read before the rows are
	}
	key := cacheKey(t, nq != nil)
	cur, err := readPopulation(ctx, s.pool)
	if err != nil {
		return nil, false, err
	}
	if a, ok := s.cache.get(key, cur, s.now()); ok {
		return a, true, nil
	}
	fresh := false // set only in the caller that counts
	led := false   // set only in the caller that ran compute
	compute := func() (any, error) {
		led = true
		if a, ok := s.cache.get(key, cur, s.now()); ok {
			return a, nil
		}
		a := &answer{}
		var rows []row
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			var err error
			if a.pop, err = readPopulation(ctx, tx); err != nil {
				return err
			}
			rows, err = loadRows(ctx, tx, t.fields)
			return err
		})
		if err != nil {
			return nil, err
		}
		if nq == nil {
			if a.tab, err = s.protectCanonical(t, rows); err != nil {
				return nil, err
			}
		} else {
			now := s.now()
			if a.tab, a.release, err = s.noisyTable(t, rows, s.privacy.QueryEpsilon, t.cellsOnly, now); err != nil {
				return nil, err
			}
			// The release is decided here: the budget is spent, in one
			// transaction, before anyone sees it.
			if err := s.spend(ctx, nq, now); err != nil {
				return nil, err
			}
		}
		s.lastAudit.Store(&a.tab.Audit)
		s.cache.put(key, a)
		fresh = true
		return a, nil
	}
	v, err, _ := s.cache.flight.Do(key, compute)
	if err != nil && !led {
		// Only a release is shared. The first asker's refusal (its budget
		// spent) or its end (its deadline, its cancellation) is its own:
		// this caller counts, and pays, for itself.
		v, err = compute()
	}
	if err != nil {
		return nil, false, err
	}
	return v.(*answer), !fresh, nil
}

// layout clones a table kept in canonical column order and lays it out in
// the order asked: canonical position p holds asked column order[p].
func layout(tab *disclosure.Table, order []int) *disclosure.Table {
	out := &disclosure.Table{Dims: tab.Dims, Audit: tab.Audit, Cells: make([]*disclosure.Cell, len(tab.Cells))}
	for i, c := range tab.Cells {
		cc := *c
		cc.Values = slices.Clone(c.Values)
		reorder(&cc, order)
		out.Cells[i] = &cc
	}
	return out
}

// protect lays the rows out as t says and runs disclosure control on them.
// Every row counts, in the filter or not: those outside are what the
// differencing rules compare the answer with.
//
// The table is protected with its columns in one canonical order (by
// name), whatever order they were asked in, and laid back out in the
// order asked: withholding is a function of the population and the set
// of cells only, so that asking for the same table with its dimensions in
// another order cannot withhold other cells and give a cell away.
func (s *Service) protect(t *tableSpec, rows []row) (*disclosure.Table, error) {
	tab, err := s.protectCanonical(t, rows)
	if err != nil {
		return nil, err
	}
	return layout(tab, canonicalOrder(t.columns)), nil
}

// protectCanonical is protect without laying the table back out: its
// columns stay in canonical order.
func (s *Service) protectCanonical(t *tableSpec, rows []row) (*disclosure.Table, error) {
	at := make([]int, len(t.sels))
	for j, sel := range t.sels {
		at[j] = t.use(sel.field)
	}
	order := canonicalOrder(t.columns)
	groups := make([]disclosure.Group, len(rows))
	for i, r := range rows {
		g := &groups[i]
		g.Count, g.Org = r.count, r.org
		for _, ci := range order {
			g.Values = append(g.Values, t.columns[ci].values(r))
		}
		if len(t.sels) > 0 {
			g.Via, g.Own = make([]string, len(t.sels)), make([]string, len(t.sels))
		}
		for j, sel := range t.sels {
			pass, via, own := sel.test(r.values[at[j]])
			if !pass {
				g.Fails |= 1 << uint(j)
			}
			g.Via[j], g.Own[j] = via, own
		}
	}
	tab, err := disclosure.Protect(groups, disclosure.Options{K: s.k, Dims: len(t.columns), Filters: len(t.sels)})
	if err != nil {
		return nil, fmt.Errorf("protect table: %w", err)
	}
	return tab, nil
}

// canonicalOrder lists the columns' positions sorted by column name.
func canonicalOrder(cols []column) []int {
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(cols[a].name, cols[b].name) })
	return order
}

// reorder lays a cell protected in canonical order back out in the order
// asked: canonical position p holds asked column order[p].
func reorder(c *disclosure.Cell, order []int) {
	values := make([]string, len(order))
	var has uint32
	for p, col := range order {
		values[col] = c.Values[p]
		if c.Has&(1<<uint(p)) != 0 {
			has |= 1 << uint(col)
		}
	}
	c.Values, c.Has = values, has
}

// refusal explains why a query cannot be answered, naming the filter at
// fault but never a count (a refusal must say no more than "fewer than k").
func (s *Service) refusal(total *disclosure.Cell, sels []selection) error {
	name := "the filter"
	if total.Filter >= 0 && total.Filter < len(sels) {
		name = "filter." + sels[total.Filter].field.name
	}
	switch total.Reason {
	case disclosure.Complement:
		return rpcerr.FailedPrecondition("%s leaves out fewer than %d of the cases counted without it (or so few beside one organisation's own cases that it could subtract those too), so the two answers could be subtracted to single them out: widen or drop it", name, s.k)
	case disclosure.SmallSelection:
		return rpcerr.FailedPrecondition("one of the values selected by %s holds fewer than %d cases: leave it out of the selection", name, s.k)
	case disclosure.Contributor:
		return rpcerr.FailedPrecondition("the cases the query counts nearly all belong to one organisation, which could subtract its own: widen the filter")
	case disclosure.SmallRemainder:
		return rpcerr.FailedPrecondition("the rare values of %s hold fewer than %d cases together, which answers for the other values would reveal by subtraction: count by it as a dimension instead", name, s.k)
	default:
		return rpcerr.FailedPrecondition("the query counts fewer than %d cases: widen the filter", s.k)
	}
}
