package stats

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestMultiValuedFilterCannotBeDifferenced extends the guarantee of
// internal/disclosure to the one multi-valued attribute: a case matches a
// forms filter when it has any selected form. For random populations and
// every pair of nested queries over forms and sex, every cell (by year)
// that both answers publish differs by zero or at least k cases.
func TestMultiValuedFilterCannotBeDifferenced(t *testing.T) {
	s := New(nil, DefaultK)
	formDomain := []casebridgev1.ExploitationForm{0, 1, 2, 5, 8}
	sexDomain := []casebridgev1.Sex{1, 2}
	r := rand.New(rand.NewPCG(5, 8))
	for round := range 6 {
		type person struct {
			forms []int16
			sex   int
			year  int
		}
		var people []person
		for range 60 + r.IntN(150) {
			p := person{sex: 1 + min(int(r.ExpFloat64()), 1), year: 2016 + min(int(r.ExpFloat64()*0.8), 2)}
			for _, f := range []int16{1, 2, 5, 8} {
				if r.Float64() < []float64{0.6, 0.3, 0.05, 0.03}[slices.Index([]int16{1, 2, 5, 8}, f)] {
					p.forms = append(p.forms, f)
				}
			}
			people = append(people, p)
		}
		type query struct {
			forms []casebridgev1.ExploitationForm
			sexes []casebridgev1.Sex
		}
		var queries []query
		for fm := 0; fm < 1<<len(formDomain); fm++ {
			for sm := 0; sm < 1<<len(sexDomain); sm++ {
				var q query
				for i, f := range formDomain {
					if fm&(1<<i) != 0 {
						q.forms = append(q.forms, f)
					}
				}
				for i, x := range sexDomain {
					if sm&(1<<i) != 0 {
						q.sexes = append(q.sexes, x)
					}
				}
				queries = append(queries, q)
			}
		}
		answers := make([]map[string]int64, len(queries))
		for i, q := range queries {
			spec, err := tableFor([]casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR},
				&casebridgev1.StatsFilter{ExploitationForms: q.forms, Sexes: q.sexes})
			if err != nil {
				t.Fatal(err)
			}
			for _, sel := range spec.sels {
				spec.use(sel.field)
			}
			var rows []row
			for _, p := range people {
				rw := row{count: 1}
				for _, f := range spec.fields {
					switch f.kind {
					case kindYear:
						rw.values = append(rw.values, strconv.Itoa(p.year))
					case kindForms:
						rw.values = append(rw.values, formsKey(p.forms))
					default:
						rw.values = append(rw.values, strconv.Itoa(p.sex))
					}
				}
				rows = append(rows, rw)
			}
			tab, err := s.protect(spec, rows)
			if err != nil {
				t.Fatal(err)
			}
			if tab.Total().Reason.Primary() {
				continue
			}
			answers[i] = map[string]int64{}
			for _, c := range tab.Cells {
				if !c.Suppressed {
					answers[i][strings.Join(c.Values, "|")+strconv.Itoa(int(c.Has))] = c.Count
				}
			}
		}
		within := func(narrow, broad query) bool {
			return subset(narrow.forms, broad.forms) && subset(narrow.sexes, broad.sexes)
		}
		answered := 0
		for i := range queries {
			if answers[i] == nil {
				continue
			}
			answered++
			for j := range queries {
				if i == j || answers[j] == nil || !within(queries[i], queries[j]) {
					continue
				}
				for cell, n := range answers[i] {
					if m, ok := answers[j][cell]; ok && m-n > 0 && m-n < DefaultK {
						t.Fatalf("round %d: %+v minus %+v leaves %d case(s) in cell %s", round, queries[j], queries[i], m-n, cell)
					}
				}
			}
		}
		t.Logf("round %d: %d people, %d of %d queries answered", round, len(people), answered, len(queries))
	}
}

// subset reports whether a selection selects nothing the other does not;
// an empty selection selects everything.
func subset[E comparable](narrow, broad []E) bool {
	if len(broad) == 0 {
		return true
	}
	if len(narrow) == 0 {
		return false
	}
	for _, x := range narrow {
		if !slices.Contains(broad, x) {
			return false
		}
	}
	return true
}
