package stats

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/disclosure"
)

// scope is what an indicator table covers: a period and, optionally, one
// country of identification.
type scope struct {
	period  period
	country string
}

// total stands for a dimension a figure sums over.
const total = "\x00total"

// selected are the facts about the events in scope that a count alone does
// not give: how many persons they concern, and the sum and median of v.
type selected struct {
	events, persons int64
	// values is the number of events with a v: those the median is taken
	// over.
	values int64
	sum    int64
	median *float64
	// topPersons, topValues and topSum are the persons, the values and the
	// sum of v of the organisation that contributes most of each to the
	// cell (not necessarily the same one): the rules against a figure
	// that one contributor isolates, places or dominates.
	topPersons, topValues, topSum int64
	// byYear counts the persons behind the cell in each year of the
	// period (in the scope's countries), byCountry in each country (over
	// the whole period): the differencing rules, applied to persons.
	byYear    map[int32]int64
	byCountry map[string]int64
}

// byPersons is why the events' protection was told to withhold a cell
// (Options.Withhold): the rules of disclosure.Protect applied to the
// persons behind the events rather than to the events.
type byPersons struct {
	reason disclosure.Reason
	filter int
}

// small reports whether n is a number of persons that may not be
// isolated: between 1 and k-1.
func small(n, k int64) bool { return n > 0 && n < k }

// personRules applies to the persons behind a cell the rules that
// disclosure.Protect applies to its events. One person can have any
// number of events, so a rule that counts events lets her figure out as
// soon as she has k of them: shelter-a, with four persons of two services
// each beside another organisation's one person with six, would subtract
// its 8 from a published 14. With country set (the second filter of the
// events' protection), the country rules apply too; the period is a
// filter every question has, so only its selection rule does.
func (f selected) personRules(k int64, country string) byPersons {
	switch {
	case f.persons < k:
		return byPersons{disclosure.ByCaller, -1}
	case small(f.persons-f.topPersons, k):
		// A case belongs to one organisation: its persons less the
		// largest organisation's are the fewest any removal leaves.
		return byPersons{disclosure.Contributor, -1}
	}
	var elsewhere, rare int64
	if country != "" {
		for c, n := range f.byCountry {
			if c != country {
				elsewhere += n
			}
			if small(n, k) {
				rare += n
			}
		}
	}
	if small(elsewhere, k) {
		// All countries less this one: the persons of the others.
		return byPersons{disclosure.Complement, 1}
	}
	for _, n := range f.byYear {
		if small(n, k) {
			// The period without this year.
			return byPersons{disclosure.SmallSelection, 0}
		}
	}
	if small(rare, k) {
		// All countries less every country with k persons or more.
		return byPersons{disclosure.SmallRemainder, 1}
	}
	return byPersons{disclosure.Published, -1}
}

// dominancePercent: a sum is withheld when one organisation's share of it
// is above this. Every claim belongs to one organisation, so this also
// covers one claim that makes up most of the sum.
const dominancePercent = 80

// medianWeek is the unit medians are published in: a median rounded to
// whole weeks is not any one person's exact number of days.
const medianWeek = 7

// figureTable is a protected table of events: what may be published and
// what the events in scope add up to.
type figureTable struct {
	cells map[string]*disclosure.Cell
	facts map[string]selected
	// withheld holds the cells personRules withheld, by key, for the
	// reason to give for them.
	withheld map[string]byPersons
}

func figureKey(values []string) string { return strings.Join(values, "\x1f") }

// cellValues writes a cell's coordinates with total where it sums over a
// dimension.
func cellValues(c *disclosure.Cell) []string {
	out := make([]string, len(c.Values))
	for i, v := range c.Values {
		out[i] = total
		if c.Has&(1<<uint(i)) != 0 {
			out[i] = v
		}
	}
	return out
}

// reason says why the figure at values is withheld; Published when it is
// not.
func (t *figureTable) reason(values ...string) disclosure.Reason {
	if _, ok := t.at(values...); ok {
		return disclosure.Published
	}
	if c := t.cells[figureKey(values)]; c != nil {
		return c.Reason
	}
	return disclosure.BelowK
}

// at returns a count and whether it may be published. No event at all is
// a publishable zero: it says nothing about anyone.
func (t *figureTable) at(values ...string) (int64, bool) {
	k := figureKey(values)
	if t.facts[k].events == 0 {
		return 0, true
	}
	c := t.cells[k]
	if c == nil || c.Suppressed {
		return 0, false
	}
	return c.Count, true
}

// median returns the median of v over a publishable, non-empty cell, in
// days rounded to whole weeks. It is withheld (Contributor) when one
// organisation brings at least half of the cell's persons, or when fewer
// than k persons come from the other organisations, or when the other
// organisations' values do not outnumber the largest organisation's
// values by more than 2k.
//
// The median is taken over the events the indicator counts (each
// proceeding, each referral), as its label says, so it is the number of
// values, not of persons, that decides where it lands: an organisation
// with m of n values can move it by up to m places among the others',
// wherever it puts its own, and two persons with five proceedings put it
// on the longest or the shortest of six others'. With n − 2m > 2k at
// least k of the others' values stay below the middle and k above it, and
// the median is never one of the k most extreme of the others' values.
func (t *figureTable) median(k int64, values ...string) (float64, disclosure.Reason) {
	n, ok := t.at(values...)
	f := t.facts[figureKey(values)]
	switch {
	case !ok:
		return 0, t.reason(values...)
	case n == 0 || f.median == nil:
		return 0, disclosure.BelowK
	case 2*f.topPersons >= f.persons || f.persons-f.topPersons < k:
		return 0, disclosure.Contributor
	case f.values-2*f.topValues <= 2*k:
		return 0, disclosure.Contributor
	}
	return math.Round(*f.median/medianWeek) * medianWeek, disclosure.Published
}

// sum returns the sum of v over a publishable cell, withheld
// (Contributor) when one organisation's share of it is above
// dominancePercent: the rest would then be small enough for that
// organisation to learn it by subtracting its own.
func (t *figureTable) sum(values ...string) (int64, disclosure.Reason) {
	if _, ok := t.at(values...); !ok {
		return 0, t.reason(values...)
	}
	f := t.facts[figureKey(values)]
	if f.sum > 0 && 100*f.topSum > dominancePercent*f.sum {
		return 0, disclosure.Contributor
	}
	return f.sum, disclosure.Published
}

// dimColumns lists the classification columns of events: d1, d2, ...
func dimColumns(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "d" + strconv.Itoa(i+1)
	}
	return out
}

// figures counts ev in sc and protects the table. Every year and country
// is read, not just the scope: the differencing rules compare the scope
// with the wider periods and the other countries. With separate, each
// value of d1 is a figure of its own that is never added to the others
// (amounts in different currencies), protected alone.
func (s *Service) figures(ctx context.Context, tx pgx.Tx, ev events, sc scope, separate bool) (*figureTable, error) {
	facts, err := selectedFacts(ctx, tx, ev, sc)
	if err != nil {
		return nil, err
	}
	groups, err := atoms(ctx, tx, ev, sc)
	if err != nil {
		return nil, err
	}
	t := &figureTable{cells: map[string]*disclosure.Cell{}, facts: facts, withheld: map[string]byPersons{}}
	opt := disclosure.Options{K: s.k, Dims: ev.dims, Filters: 1, Required: 1}
	if sc.country != "" {
		opt.Filters = 2
	}
	// The rules on persons withhold through Options.Withhold, as primary
	// suppression: secondary suppression and the audit then protect those
	// cells like any other, and protect gives each its own reason.
	withhold := func(prefix []string) func(*disclosure.Cell) bool {
		return func(c *disclosure.Cell) bool {
			key := figureKey(append(append([]string(nil), prefix...), cellValues(c)...))
			v := facts[key].personRules(s.k, sc.country)
			if v.reason == disclosure.Published {
				return false
			}
			t.withheld[key] = v
			return true
		}
	}
	if !separate {
		opt.Withhold = withhold(nil)
		if err := t.protect(groups, opt, nil); err != nil {
			return nil, err
		}
		return t, nil
	}
	byValue := map[string][]disclosure.Group{}
	for _, g := range groups {
		v := g.Values[0][0]
		g.Values = nil
		byValue[v] = append(byValue[v], g)
	}
	opt.Dims = 0
	for v, gs := range byValue {
		opt.Withhold = withhold([]string{v})
		if err := t.protect(gs, opt, []string{v}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// protect runs disclosure control on groups and files the cells under
// prefix plus their own coordinates. A cell that personRules withheld is
// labelled with the rule that did (ByCaller only when it rests on fewer
// than k persons): the audit reads every primary reason but BelowK alike,
// as at least k, which each of them is.
func (t *figureTable) protect(groups []disclosure.Group, opt disclosure.Options, prefix []string) error {
	tab, err := disclosure.Protect(groups, opt)
	if err != nil {
		return fmt.Errorf("protect indicator: %w", err)
	}
	for _, c := range tab.Cells {
		key := figureKey(append(append([]string(nil), prefix...), cellValues(c)...))
		if v, ok := t.withheld[key]; ok && c.Suppressed && c.Reason == disclosure.ByCaller {
			c.Reason, c.Filter = v.reason, v.filter
		}
		t.cells[key] = c
	}
	return nil
}

// atoms counts ev by year, country and classification, over all years and
// countries, as disclosure groups with the scope as filters: the period
// (always present) and the country (when one is asked for).
func atoms(ctx context.Context, tx pgx.Tx, ev events, sc scope) ([]disclosure.Group, error) {
	cols := append([]string{"year", "country", "org"}, dimColumns(ev.dims)...)
	list := strings.Join(cols, ", ")
	rows, err := tx.Query(ctx, "SELECT "+list+", count(*) FROM ("+ev.sql+") e GROUP BY "+list)
	if err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	defer rows.Close()
	var out []disclosure.Group
	for rows.Next() {
		var year *int32
		var country *string
		var org string
		dims := make([]*string, ev.dims)
		var n int64
		dest := []any{&year, &country, &org}
		for i := range dims {
			dest = append(dest, &dims[i])
		}
		if err := rows.Scan(append(dest, &n)...); err != nil {
			return nil, fmt.Errorf("count events: %w", err)
		}
		g := disclosure.Group{Count: n, Org: org}
		for _, d := range dims {
			g.Values = append(g.Values, []string{deref(d)})
		}
		y := 0
		if year != nil {
			y = int(*year)
		}
		ys := strconv.Itoa(y)
		g.Via, g.Own = []string{ys}, []string{ys}
		if y < sc.period.from || y > sc.period.to {
			g.Fails |= 1
		}
		if sc.country != "" {
			c := deref(country)
			g.Via, g.Own = append(g.Via, c), append(g.Own, c)
			if c != sc.country {
				g.Fails |= 2
			}
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	return out, nil
}

// selectedFacts reads, for every cell and total of the events in scope,
// their number, the persons behind them, and the sum and median of v.
func selectedFacts(ctx context.Context, tx pgx.Tx, ev events, sc scope) (map[string]selected, error) {
	dims := dimColumns(ev.dims)
	sql := "SELECT "
	for _, d := range dims {
		sql += d + ", "
	}
	sql += `count(*), count(DISTINCT case_id), count(v), coalesce(sum(v), 0)::bigint,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY v)
		FROM (` + ev.sql + `) e WHERE year BETWEEN $1 AND $2 AND ($3 = '' OR country = $3)`
	if len(dims) > 0 {
		sql += " GROUP BY CUBE (" + strings.Join(dims, ", ") + ")"
	}
	rows, err := tx.Query(ctx, sql, sc.period.from, sc.period.to, sc.country)
	if err != nil {
		return nil, fmt.Errorf("measure events: %w", err)
	}
	defer rows.Close()
	out := map[string]selected{}
	for rows.Next() {
		values := make([]*string, ev.dims)
		var f selected
		var dest []any
		for i := range values {
			dest = append(dest, &values[i])
		}
		if err := rows.Scan(append(dest, &f.events, &f.persons, &f.values, &f.sum, &f.median)...); err != nil {
			return nil, fmt.Errorf("measure events: %w", err)
		}
		out[figureKeyOf(values)] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("measure events: %w", err)
	}
	if err := topContributors(ctx, tx, ev, sc, out); err != nil {
		return nil, err
	}
	return out, personSpread(ctx, tx, ev, sc, out)
}

// topContributors files in facts, for every cell and total, the most
// persons, values and sum of v that one organisation contributes. A case
// belongs to one organisation, so its persons are counted per
// organisation without overlap.
func topContributors(ctx context.Context, tx pgx.Tx, ev events, sc scope, facts map[string]selected) error {
	dims := dimColumns(ev.dims)
	sql := "SELECT "
	for _, d := range dims {
		sql += d + ", "
	}
	sql += `count(DISTINCT case_id), count(v), coalesce(sum(v), 0)::bigint
		FROM (` + ev.sql + `) e WHERE year BETWEEN $1 AND $2 AND ($3 = '' OR country = $3) GROUP BY org`
	if len(dims) > 0 {
		sql += ", CUBE (" + strings.Join(dims, ", ") + ")"
	}
	rows, err := tx.Query(ctx, sql, sc.period.from, sc.period.to, sc.country)
	if err != nil {
		return fmt.Errorf("measure contributors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		values := make([]*string, ev.dims)
		var persons, measured, sum int64
		var dest []any
		for i := range values {
			dest = append(dest, &values[i])
		}
		if err := rows.Scan(append(dest, &persons, &measured, &sum)...); err != nil {
			return fmt.Errorf("measure contributors: %w", err)
		}
		k := figureKeyOf(values)
		f := facts[k]
		f.topPersons = max(f.topPersons, persons)
		f.topValues = max(f.topValues, measured)
		f.topSum = max(f.topSum, sum)
		facts[k] = f
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("measure contributors: %w", err)
	}
	return nil
}

// figureKeyOf is the key of the cell a row of a grouping-sets query
// names: a NULL value is the total over its dimension.
func figureKeyOf(values []*string) string {
	key := make([]string, len(values))
	for i, v := range values {
		key[i] = total
		if v != nil {
			key[i] = *v
		}
	}
	return figureKey(key)
}

// personSpread files in facts, for every cell and total, the persons
// behind it in each year of the period (in the scope's countries) and in
// each country (over the period), for personRules. A case has one
// country, so persons add up over countries; not over years, where one
// person can have events in several, hence the per-country counts over
// the whole period (the grouping set without the year).
func personSpread(ctx context.Context, tx pgx.Tx, ev events, sc scope, facts map[string]selected) error {
	dims := dimColumns(ev.dims)
	sql := "SELECT GROUPING(year) = 0, year, country, "
	for _, d := range dims {
		sql += d + ", "
	}
	sql += `count(DISTINCT case_id)
		FROM (` + ev.sql + `) e WHERE year BETWEEN $1 AND $2 GROUP BY country, GROUPING SETS ((year), ())`
	if len(dims) > 0 {
		sql += ", CUBE (" + strings.Join(dims, ", ") + ")"
	}
	rows, err := tx.Query(ctx, sql, sc.period.from, sc.period.to)
	if err != nil {
		return fmt.Errorf("measure persons: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var perYear bool
		var year *int32
		var country *string
		values := make([]*string, ev.dims)
		var persons int64
		dest := []any{&perYear, &year, &country}
		for i := range values {
			dest = append(dest, &values[i])
		}
		if err := rows.Scan(append(dest, &persons)...); err != nil {
			return fmt.Errorf("measure persons: %w", err)
		}
		k := figureKeyOf(values)
		f, ok := facts[k]
		if !ok {
			// No event of the cell in scope: it is not published, so
			// nothing outside the scope can be subtracted from it.
			continue
		}
		c := deref(country)
		switch {
		case !perYear:
			if f.byCountry == nil {
				f.byCountry = map[string]int64{}
			}
			f.byCountry[c] += persons
		case year != nil && (sc.country == "" || c == sc.country):
			if f.byYear == nil {
				f.byYear = map[int32]int64{}
			}
			f.byYear[*year] += persons
		}
		facts[k] = f
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("measure persons: %w", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
