package disclosure

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func repeat(n int, p person) []person {
	out := make([]person, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func TestOneDimensionSuppressesTheNextSmallest(t *testing.T) {
	var people []person
	people = append(people, repeat(10, person{"A"})...)
	people = append(people, repeat(3, person{"B"})...)
	people = append(people, repeat(7, person{"C"})...)
	people = append(people, repeat(20, person{"D"})...)
	tab := protect(t, people, query{dims: []int{0}}, 5)
	got := map[string]Reason{}
	for _, c := range tab.Cells {
		got[key(c)] = c.Reason
	}
	want := map[string]Reason{"*": Published, "A": Published, "B": BelowK, "C": Secondary, "D": Published}
	for k, r := range want {
		if got[k] != r {
			t.Errorf("cell %s: %v, want %v", k, got[k], r)
		}
	}
	if tab.Total().Count != 40 {
		t.Errorf("grand total %d, want 40", tab.Total().Count)
	}
	for _, c := range tab.Cells {
		if c.Suppressed && c.Count != 0 {
			t.Errorf("withheld cell %s still carries count %d", key(c), c.Count)
		}
	}
}

func TestSingleCellLineWithholdsItsTotal(t *testing.T) {
	// One value only: the cell equals its total, so both go.
	people := append(repeat(3, person{"A", "x"}), repeat(9, person{"B", "y"})...)
	tab := protect(t, people, query{dims: []int{0, 1}}, 5)
	p := published(tab)
	if _, ok := p["A|*"]; ok {
		t.Errorf("row total of A published: %v", p)
	}
	if _, ok := p["A|x"]; ok {
		t.Errorf("cell A|x published: %v", p)
	}
	checkLines(t, tab)
}

func TestMultiValuedTotalsCountCasesOnce(t *testing.T) {
	groups := []Group{
		{Values: [][]string{{"sexual", "labour"}}, Count: 6},
		{Values: [][]string{{"labour"}}, Count: 6},
	}
	tab, err := Protect(groups, Options{K: 5, Dims: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := published(tab)
	if p["*"] != 12 || p["labour"] != 12 || p["sexual"] != 6 {
		t.Errorf("got %v, want total 12, labour 12, sexual 6", p)
	}
}

func TestRejectsBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		groups []Group
		opt    Options
	}{
		"k below 2":         {nil, Options{K: 1}},
		"too many dims":     {nil, Options{K: 5, Dims: MaxDims + 1}},
		"missing dimension": {[]Group{{Count: 1}}, Options{K: 5, Dims: 1}},
		"empty value list":  {[]Group{{Values: [][]string{{}}, Count: 1}}, Options{K: 5, Dims: 1}},
		"missing filter":    {[]Group{{Count: 1}}, Options{K: 5, Filters: 1}},
		"fails beyond":      {[]Group{{Count: 1, Fails: 2, Via: []string{""}, Own: []string{""}}}, Options{K: 5, Filters: 1}},
	} {
		if _, err := Protect(tc.groups, tc.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEmptyPopulationIsBelowK(t *testing.T) {
	tab, err := Protect(nil, Options{K: 5, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Cells) != 1 || tab.Total().Reason != BelowK {
		t.Fatalf("got %d cells, total %v", len(tab.Cells), tab.Total().Reason)
	}
}

// randomPeople draws a skewed population: a few common values and a tail
// of rare ones on each attribute, like real case data.
func randomPeople(r *rand.Rand, n, attrs int) []person {
	out := make([]person, n)
	for i := range out {
		p := make(person, attrs)
		for a := range p {
			v := int(r.ExpFloat64() * 1.5)
			p[a] = fmt.Sprintf("v%d", min(v, 6))
		}
		out[i] = p
	}
	return out
}

func TestRandomTablesPublishOnlySafeExactCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Tables of at most a few hundred people, so that the audit's linear
	// programs stay quick under the race detector.
	for round := range 18 {
		dims := []int{0, 1, 2}[:1+round%3]
		people := randomPeople(r, 20+r.IntN(160), 3)
		q := query{dims: dims}
		tab := protect(t, people, q, 5)
		want := truth(people, q)
		for k, n := range published(tab) {
			if n < 5 {
				t.Fatalf("round %d: published %s = %d below k", round, k, n)
			}
			if n != want[k] {
				t.Fatalf("round %d: published %s = %d, true count %d", round, k, n, want[k])
			}
		}
		for _, c := range tab.Cells {
			if want[key(c)] < 5 && !c.Suppressed {
				t.Fatalf("round %d: small cell %s published", round, key(c))
			}
		}
		checkLines(t, tab)
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
}

func TestCallerRuleWithholdsBeforeSecondary(t *testing.T) {
	var people []person
	for _, v := range []string{"A", "B", "C"} {
		people = append(people, repeat(10, person{v})...)
	}
	tab, err := Protect(groupsOf(people, query{dims: []int{0}}), Options{K: 5, Dims: 1,
		Withhold: func(c *Cell) bool { return c.Has != 0 && c.Values[0] == "B" }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Reason{}
	for _, c := range tab.Cells {
		got[key(c)] = c.Reason
	}
	if got["B"] != ByCaller || got["A"] != Secondary || got["C"] != Published {
		t.Fatalf("got %v", got)
	}
}
