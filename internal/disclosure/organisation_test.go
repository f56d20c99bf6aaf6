package disclosure

import "testing"

// orgGroups lays a one-dimension table out as groups: per value, the cases
// of each organisation.
func orgGroups(cells map[string]map[string]int64) []Group {
	var out []Group
	for v, byOrg := range cells {
		for org, n := range byOrg {
			out = append(out, Group{Count: n, Values: [][]string{{v}}, Org: org})
		}
	}
	return out
}

// ownerAttack1D is an organisation's attack on a one-dimension table: it
// knows every figure published, and the count of every withheld cell that
// holds its own cases only (it recorded them). When the grand total is
// published and exactly one withheld cell is left unknown, that cell is
// pinned: total − published − its own. It returns, per withheld cell that
// org pins, what remains of it once org's own cases are taken out.
func ownerAttack1D(tab *Table, cells map[string]map[string]int64, org string) map[string]int64 {
	total := tab.Total()
	if total.Suppressed {
		return nil
	}
	rest := total.Count
	var unknown []*Cell
	for _, c := range tab.Full() {
		switch {
		case !c.Suppressed:
			rest -= c.Count
		case len(cells[c.Values[0]]) == 1 && cells[c.Values[0]][org] > 0:
			rest -= cells[c.Values[0]][org] // all its own
		default:
			unknown = append(unknown, c)
		}
	}
	if len(unknown) != 1 {
		return nil
	}
	v := unknown[0].Values[0]
	return map[string]int64{v: rest - cells[v][org]}
}

// TestOrganisationsKnowTheirOwnCases: an audit that took a cell withheld
// to protect another (Secondary) for any value from k up let through the
// table below; but every case of that cell belongs to one organisation,
// which knows it exactly and subtracts it with the published figures. The
// audit now also plays each organisation, knowing its own cases.
//
//	ER  1  (legal-b's one Eritrean)         withheld: fewer than 5
//	MD  9  (all shelter-a's)                withheld: protects another cell
//	UA 10  (cso-c)                          published
//	total 20                                published
//
// shelter-a reads ER = 20 − 10 − 9 = 1 exactly: the label alone says 1..4.
// The second case shows the padding variant: shelter-a adds 4 cases to ER
// (withheld "one organisation", at least 5), owns MD (9) and reads
// ER = 24 − 10 − 9 = 5, less her own 4: the one Eritrean.
func TestOrganisationsKnowTheirOwnCases(t *testing.T) {
	const k = 5
	for _, tc := range []struct {
		name  string
		cells map[string]map[string]int64
	}{
		{"no padding", map[string]map[string]int64{
			"ER": {"legal-b": 1},
			"MD": {"shelter-a": 9},
			"UA": {"cso-c": 10},
		}},
		{"padded to the contributor rule", map[string]map[string]int64{
			"ER": {"legal-b": 1, "shelter-a": 4},
			"MD": {"shelter-a": 9},
			"UA": {"cso-c": 10},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Protect(orgGroups(tc.cells), Options{K: k, Dims: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, org := range []string{"shelter-a", "legal-b", "cso-c"} {
				for v, left := range ownerAttack1D(tab, tc.cells, org) {
					if small(left, k) {
						t.Errorf("%s subtracts the published figures and its own cases: cell %s holds exactly %d case(s) of others", org, v, left)
					}
				}
			}
		})
	}
}
