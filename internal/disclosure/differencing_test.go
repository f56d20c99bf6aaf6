package disclosure

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A population with one person of a rare nationality ("ER") among common
// ones, and a year for each.
func rareOne() []person {
	var people []person
	for i := range 40 {
		people = append(people, person{"UA", []string{"2016", "2017"}[i%2]})
		people = append(people, person{"BY", []string{"2016", "2017"}[i%2]})
	}
	return append(people, person{"ER", "2017"})
}

func TestClassicDifferencingIsRefused(t *testing.T) {
	people := rareOne()
	all := protect(t, people, query{dims: []int{1}}, 5)
	allButER := protect(t, people, query{dims: []int{1}, filters: []filter{{0, []string{"UA", "BY"}}}}, 5)
	if all.Total().Suppressed {
		t.Fatal("the unfiltered count is withheld")
	}
	if r := allButER.Total().Reason; r != Complement {
		t.Fatalf("count of all but ER: %v, want %v", r, Complement)
	}
	// The year of the one ER case must not come out of the two tables
	// either: no year is published by both.
	a, b := published(all), published(allButER)
	for k, n := range b {
		if m, ok := a[k]; ok && m-n > 0 && m-n < 5 {
			t.Errorf("cell %s: %d - %d isolates %d case(s)", k, m, n, m-n)
		}
	}
}

func TestSelectingARareValueIsRefused(t *testing.T) {
	people := rareOne()
	// UA+ER minus UA would be ER.
	tab := protect(t, people, query{filters: []filter{{0, []string{"UA", "ER"}}}}, 5)
	if r := tab.Total().Reason; r != SmallSelection {
		t.Fatalf("UA or ER: %v, want %v", r, SmallSelection)
	}
}

func TestRemainderOfRareValuesIsRefused(t *testing.T) {
	people := rareOne()
	// all - UA - BY would be ER: every single-value filter on nationality
	// is refused while the rare values add up to fewer than k.
	for _, v := range []string{"UA", "BY"} {
		tab := protect(t, people, query{filters: []filter{{0, []string{v}}}}, 5)
		if r := tab.Total().Reason; r != SmallRemainder {
			t.Errorf("%s alone: %v, want %v", v, r, SmallRemainder)
		}
	}
	// With enough rare cases together, the remainder is a group of k.
	for range 4 {
		people = append(people, person{"AF", "2016"})
	}
	if tab := protect(t, people, query{filters: []filter{{0, []string{"UA"}}}}, 5); tab.Total().Suppressed {
		t.Errorf("UA with a remainder of 5: %v", tab.Total().Reason)
	}
}

func TestFilteredCellsAreComparedWithTheUnfilteredOnes(t *testing.T) {
	// Every UA case is 2016 or 2017; one man among the 2017 ones.
	var people []person
	for range 20 {
		people = append(people, person{"F", "2016"}, person{"F", "2017"}, person{"M", "2016"})
	}
	people = append(people, person{"M", "2017"})
	women := protect(t, people, query{dims: []int{1}, filters: []filter{{0, []string{"F"}}}}, 5)
	for _, c := range women.Full() {
		if c.Values[0] == "2017" && !c.Suppressed {
			t.Errorf("women in 2017 published: all of 2017 minus it is the one man")
		}
		if c.Values[0] == "2016" && c.Suppressed && c.Reason.Primary() {
			t.Errorf("women in 2016 withheld as %v", c.Reason)
		}
	}
}

// subsets lists every non-empty subset of values.
func subsets(values []string) [][]string {
	var out [][]string
	for m := 1; m < 1<<uint(len(values)); m++ {
		var s []string
		for i, v := range values {
			if m&(1<<uint(i)) != 0 {
				s = append(s, v)
			}
		}
		out = append(out, s)
	}
	return out
}

// within reports whether narrow restricts at least as much as broad on
// every attribute (no filter means every value).
func within(narrow, broad query, domains [][]string) bool {
	sel := func(q query, attr int) []string {
		for _, f := range q.filters {
			if f.attr == attr {
				return f.sel
			}
		}
		return domains[attr]
	}
	for attr := range domains {
		for _, v := range sel(narrow, attr) {
			if !slices.Contains(sel(broad, attr), v) {
				return false
			}
		}
	}
	return true
}

// TestNoTwoQueriesDifferByFewerThanK is the guarantee of the package,
// checked exhaustively on random populations: for every pair of queries
// where one is narrower than the other, every cell that both publish
// differs by zero or by at least k cases.
func TestNoTwoQueriesDifferByFewerThanK(t *testing.T) {
	const k = 5
	domains := [][]string{{"v0", "v1", "v2", "v3"}, {"v0", "v1", "v2"}}
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 12 {
		people := randomPeople(r, 30+r.IntN(120), 3)
		for i := range people {
			people[i][0] = domains[0][min(int(people[i][0][1]-'0'), 3)]
			people[i][1] = domains[1][min(int(people[i][1][1]-'0'), 2)]
		}
		queries := []query{{dims: []int{2}}}
		for _, s0 := range append(subsets(domains[0]), nil) {
			for _, s1 := range append(subsets(domains[1]), nil) {
				q := query{dims: []int{2}}
				if s0 != nil {
					q.filters = append(q.filters, filter{0, s0})
				}
				if s1 != nil {
					q.filters = append(q.filters, filter{1, s1})
				}
				if len(q.filters) > 0 {
					queries = append(queries, q)
				}
			}
		}
		tables := make([]map[string]int64, len(queries))
		answered := 0
		for i, q := range queries {
			tab := protect(t, people, q, k)
			if !tab.Total().Reason.Primary() {
				tables[i] = published(tab)
				answered++
			}
		}
		t.Logf("round %d: %d people, %d of %d queries answered", round, len(people), answered, len(queries))
		if answered < 2 {
			continue
		}
		for i, narrow := range queries {
			for j, broad := range queries {
				if i == j || tables[i] == nil || tables[j] == nil || !within(narrow, broad, domains) {
					continue
				}
				for cell, n := range tables[i] {
					m, ok := tables[j][cell]
					if ok && m-n > 0 && m-n < k {
						t.Fatalf("round %d: %+v minus %+v leaves %d case(s) in cell %s", round, broad, narrow, m-n, cell)
					}
				}
			}
		}
	}
}

func TestRequiredFilterGuardsRangesBySelection(t *testing.T) {
	// A period is always asked for: 3 events in 2015, 20 in each later year.
	var people []person
	people = append(people, repeat(3, person{"2015"})...)
	for _, y := range []string{"2016", "2017", "2018"} {
		people = append(people, repeat(20, person{y})...)
	}
	period := func(years ...string) *Table {
		tab, err := Protect(groupsOf(people, query{filters: []filter{{0, years}}}),
			Options{K: 5, Filters: 1, Required: 1})
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	// No unperiodised count exists to subtract 2016..2018 from, so 2016
	// alone is fine although 2015 is rare...
	if r := period("2016").Total().Reason; r != Published {
		t.Errorf("2016: %v", r)
	}
	// ...and every period that would contain 2015 is withheld.
	if r := period("2015", "2016", "2017", "2018").Total().Reason; r != SmallSelection {
		t.Errorf("2015-2018: %v, want %v", r, SmallSelection)
	}
}
