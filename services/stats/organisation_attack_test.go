package stats_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestProtectorOfOneOrganisationGivesNothingAway: a caseworker of
// shelter-a records 9 Moldovans (all shelter-a's). legal-b has one Eritrean, cso-c
// ten Ukrainians. By nationality, the Eritrean is withheld (fewer than 5)
// and the line rule withholds the smallest other cell beside it: the
// Moldovans, all shelter-a's. The audit counts MD as unknown, at least 5,
// and found ER 1..4; shelter-a knows MD is 9 and read
// ER = 20 − 10 − 9 = 1. With padding (4 more Eritreans from shelter-a,
// so that ER is withheld "one organisation"), ER = 24 − 10 − 9 = 5, less
// her own 4: the one Eritrean again. The audit now also plays each
// organisation, knowing its own cases, and withholds more.
func TestProtectorOfOneOrganisationGivesNothingAway(t *testing.T) {
	for _, pad := range []int{0, 4} {
		t.Run(fmt.Sprintf("padding %d", pad), func(t *testing.T) {
			env := servertest.Start(t)
			addCase(t, env.Pool, "legal-b", &casebridgev1.CodedAttributes{Nationality: "ER"})
			addMany(t, env.Pool, "cso-c", 10, &casebridgev1.CodedAttributes{Nationality: "UA"})
			recordCases(t, env, caseworker, 9, &casebridgev1.CodedAttributes{Nationality: "MD"})
			recordCases(t, env, caseworker, pad, &casebridgev1.CodedAttributes{Nationality: "ER"})
			own := map[string]int64{"MD": 9, "ER": int64(pad)} // what shelter-a recorded
			ownsAll := map[string]bool{"MD": true}

			dims := []casebridgev1.Dimension{dNat}
			resp, err := client(env).CountCases(env.As(t, coordinator), &casebridgev1.CountCasesRequest{Dimensions: dims})
			if err != nil {
				t.Fatal(err)
			}
			var total int64 = -1
			for _, c := range resp.GetTotals() {
				if !c.GetSuppressed() {
					total = c.GetCount()
				}
				t.Logf("total %s: %d %v %v", coord(dims, c), c.GetCount(), c.GetSuppressed(), c.GetWithheldReason())
			}
			rest := total
			var unknown []string
			for _, c := range resp.GetCells() {
				v := c.GetValues()[0].GetValue()
				t.Logf("cell %s: %d %v %v", v, c.GetCount(), c.GetSuppressed(), c.GetWithheldReason())
				switch {
				case !c.GetSuppressed():
					rest -= c.GetCount()
				case ownsAll[v]:
					rest -= own[v]
				default:
					unknown = append(unknown, v)
				}
			}
			if total >= 0 && len(unknown) == 1 {
				if left := rest - own[unknown[0]]; left > 0 && left < k {
					t.Errorf("shelter-a subtracts the published figures and its own cases: %s holds exactly %d case(s) of other organisations", unknown[0], left)
				}
			}
		})
	}
}

// TestUnverifiedTableTotalPinsNothing: nationality × form over 101
// cases of 101 combinations (20 nationalities of exactly 5 cases with five
// sets of forms, one Eritrean) is past MaxMultiValuedAtoms, so every figure
// but the grand total is withheld "not verified in time". When that label
// meant "at least 5" beside an Eritrean total marked "fewer than 5", the
// grand total 101, less 20 × 5, left the Eritrean at most 1: exactly 1.
// Now every figure is "not verified in time", which says nothing of its
// size.
func TestUnverifiedTableTotalPinsNothing(t *testing.T) {
	env := servertest.Start(t)
	sex, labour, marriage, begging := casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL,
		casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR,
		casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_MARRIAGE,
		casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING
	sets := [][]casebridgev1.ExploitationForm{{sex}, {labour}, {marriage}, {sex, labour}, {sex, marriage}}
	nats := []string{"UA", "BY", "MD", "RO", "BG", "AL", "RS", "MK", "NG", "VN", "CN", "PH", "TH", "IN", "PK", "BD", "UZ", "KG", "TJ", "AF"}
	for _, nat := range nats {
		for _, s := range sets {
			addCase(t, env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Nationality: nat, ExploitationForms: s})
		}
	}
	addCase(t, env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Nationality: "ER", ExploitationForms: []casebridgev1.ExploitationForm{begging}})
	dims := []casebridgev1.Dimension{dNat, casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM}
	resp, err := client(env).CountCases(env.As(t, coordinator), &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	var total int64 = -1
	var byNat []*casebridgev1.Cell
	for _, c := range resp.GetTotals() {
		switch {
		case len(c.GetValues()) == 0:
			if !c.GetSuppressed() {
				total = c.GetCount()
			}
		case len(c.GetValues()) == 1 && c.GetValues()[0].GetDimension() == dNat:
			byNat = append(byNat, c)
		}
	}
	if total < 0 {
		t.Fatal("grand total withheld: an unverified table publishes it")
	}
	var least int64
	for _, c := range byNat {
		if !c.GetSuppressed() {
			t.Fatalf("nationality total %s published: the audit ran", coord(dims, c))
		}
		if c.GetWithheldReason() == casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY {
			least++
		} else {
			least += k
		}
	}
	for _, c := range byNat {
		if r := c.GetWithheldReason(); r != casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED {
			t.Errorf("%s withheld as %v beside an unverified table's total: its label is an equation nobody checked", coord(dims, c), r)
		}
		if c.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY {
			continue
		}
		if hi := total - (least - 1); hi < k-1 {
			t.Errorf("grand total %d published beside %d withheld nationality totals (labels: at least %d together): %s, marked fewer than %d, is at most %d", total, len(byNat), least, coord(dims, c), k, hi)
		}
	}
}

// TestEveryOrganisationIsPlayed: over random populations of three
// organisations, each holding most cases of some nationalities (as a
// shelter's caseload gathers where it works), no withheld cell of a nationality × sex table is left
// narrower than checkAttacker asks — by anyone holding the table, nor by
// any of the organisations, each knowing its own cases in every cell.
func TestEveryOrganisationIsPlayed(t *testing.T) {
	dims := []casebridgev1.Dimension{dNat, dSex}
	nats := []string{"UA", "UA", "UA", "BY", "BY", "MD", "RO", "ER", "AL"}
	sexes := []casebridgev1.Sex{casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE}
	orgs := []string{"shelter-a", "legal-b", "cso-c"}
	checked := 0
	for seed := range uint64(10) {
		env := servertest.Start(t)
		r := rand.New(rand.NewPCG(seed, 7))
		// own[org][nationality|sex] counts each organisation's cases.
		own := map[string]map[string]int64{}
		for _, org := range orgs {
			own[org] = map[string]int64{}
		}
		for range 60 + r.IntN(80) {
			n := r.IntN(len(nats))
			org := orgs[n%len(orgs)]
			if r.IntN(5) == 0 {
				org = orgs[r.IntN(len(orgs))]
			}
			c := &casebridgev1.CodedAttributes{Nationality: nats[n], Sex: sexes[r.IntN(len(sexes))]}
			addCase(t, env.Pool, org, c)
			own[org][c.GetNationality()+"|"+c.GetSex().String()]++
		}
		resp, err := client(env).CountCases(env.As(t, coordinator), &casebridgev1.CountCasesRequest{Dimensions: dims})
		if err != nil {
			t.Fatal(err)
		}
		checked += checkAttacker(t, dims, resp)
		// true[nationality|sex] is the number of cases, and every total
		// the sum of its full cells'.
		truth := map[string]int64{}
		for _, org := range orgs {
			for k, n := range own[org] {
				truth[k] += n
			}
		}
		for _, org := range orgs {
			// The organisation's counts by the coordinates the checker
			// names cells by.
			byCoord := map[string]int64{}
			var fulls []string
			allOwn := map[string]bool{}
			for _, c := range resp.GetCells() {
				var nat, sex string
				for _, v := range c.GetValues() {
					switch v.GetDimension() {
					case dNat:
						nat = v.GetValue()
					case dSex:
						sex = v.GetValue()
					}
				}
				k := coord(dims, c)
				byCoord[k] = own[org][nat+"|"+sex]
				fulls = append(fulls, k)
				allOwn[k] = own[org][nat+"|"+sex] == truth[nat+"|"+sex]
			}
			ownsAll := func(cell string) bool {
				for _, f := range fulls {
					if within(f, cell) && !allOwn[f] {
						return false
					}
				}
				return true
			}
			checked += checkAttackerFor(t, dims, org, byCoord, ownsAll, resp)
		}
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
	if checked == 0 {
		t.Fatal("no table had a withheld cell: the test checked nothing")
	}
}
