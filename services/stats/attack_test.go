package stats_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	ageA = casebridgev1.AgeBand_AGE_BAND_18_20
	ageB = casebridgev1.AgeBand_AGE_BAND_21_23
	ageC = casebridgev1.AgeBand_AGE_BAND_24_26
)

// addMany inserts n cases of one organisation with the same coded
// attributes.
func addMany(t *testing.T, pool *pgxpool.Pool, org string, n int, c *casebridgev1.CodedAttributes) {
	t.Helper()
	for range n {
		addCase(t, pool, org, c)
	}
}

// TestLineRuleIsNotEnough builds a table in which every row and column has
// two withheld cells, so the old rule ("no line with exactly one withheld
// member") is met, and yet the withheld cells form a cycle of small
// counts: moving one case around it keeps every total, and non-negativity
// stops it after a step or two, so the attacker can tell each small cell
// to within two values. The audit must withhold more.
//
//	        18-20  21-23  24-26
//	UA        1      2     20
//	BY        2     20      1
//	MD       20      1      2
func TestLineRuleIsNotEnough(t *testing.T) {
	env := servertest.Start(t)
	layout := map[string][3]int{"UA": {1, 2, 20}, "BY": {2, 20, 1}, "MD": {20, 1, 2}}
	for nat, counts := range layout {
		for i, age := range []casebridgev1.AgeBand{ageA, ageB, ageC} {
			addMany(t, env.Pool, "shelter-a", counts[i], &casebridgev1.CodedAttributes{Nationality: nat, AgeBand: age})
		}
	}
	st := client(env)
	ctx := env.As(t, coordinator)
	dims := []casebridgev1.Dimension{dNat, dAge}
	resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	if n := checkAttacker(t, dims, resp); n < 6 {
		t.Errorf("%d cells withheld, want at least the six small ones", n)
	}
	secondary := 0
	for _, c := range resp.GetCells() {
		switch {
		case c.GetSuppressed() && c.GetWithheldReason() == casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY:
			secondary++
		case c.GetSuppressed() && c.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:
			t.Errorf("cell %v withheld as %v", c.GetValues(), c.GetWithheldReason())
		}
	}
	if secondary == 0 {
		t.Error("no cell of 20 withheld: the cycle of small cells is left to the attacker")
	}
}

// TestLabelsAreCountedByTheAudit: a withheld cell's label publishes a
// bound, and the audit must reason with it. UA|18-20 holds 4, beside
// UA|21-23 = 20 withheld to protect it; the 21-23 column also holds
// BY|21-23 = 1. With every total published, UA|18-20 = UA − 21-23 +
// BY|21-23 is at least 24 − 21 + 1 = 4, and its label, fewer than 5, says
// at most 4: it is pinned. The audit used to solve without the labels and
// publish every total.
//
//	        18-20  21-23
//	UA        4     20
//	BY       10      1
func TestLabelsAreCountedByTheAudit(t *testing.T) {
	env := servertest.Start(t)
	layout := map[string][2]int{"UA": {4, 20}, "BY": {10, 1}}
	for nat, counts := range layout {
		for i, age := range []casebridgev1.AgeBand{ageA, ageB} {
			addMany(t, env.Pool, "shelter-a", counts[i], &casebridgev1.CodedAttributes{Nationality: nat, AgeBand: age})
		}
	}
	st := client(env)
	ctx := env.As(t, coordinator)
	dims := []casebridgev1.Dimension{dNat, dAge}
	resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]*casebridgev1.Cell{}
	for _, group := range [][]*casebridgev1.Cell{resp.GetCells(), resp.GetTotals()} {
		for _, c := range group {
			cells[coord(dims, c)] = c // age band sorts before nationality
		}
	}
	primary := casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY
	if c := cells["=AGE_BAND_18_20|=UA"]; !c.GetSuppressed() || c.GetWithheldReason() != primary {
		t.Fatalf("UA|18-20: %v, want withheld as primary", c)
	}
	ua, col, other := cells["*|=UA"], cells["=AGE_BAND_21_23|*"], cells["=AGE_BAND_21_23|=BY"]
	if !ua.GetSuppressed() && !col.GetSuppressed() && other.GetWithheldReason() == primary {
		// BY|21-23 is at least 1, so UA|21-23 at most col − 1.
		if least := ua.GetCount() - (col.GetCount() - 1); least >= k-1 {
			t.Errorf("UA total %d and 21-23 total %d published: UA|18-20 is at least %d, and its label says below %d",
				ua.GetCount(), col.GetCount(), least, k)
		}
	}
	checkAttacker(t, dims, resp)
}

// randomPopulation inserts a skewed population of nationality, age band
// and sex, spread over two organisations.
func randomPopulation(t *testing.T, pool *pgxpool.Pool, seed uint64, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	nats := []string{"UA", "UA", "UA", "BY", "BY", "MD", "RO", "ER"}
	ages := []casebridgev1.AgeBand{ageA, ageA, ageB, ageB, ageC}
	sexes := []casebridgev1.Sex{casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE}
	orgs := []string{"shelter-a", "legal-b"}
	for range n {
		addCase(t, pool, orgs[r.IntN(2)], &casebridgev1.CodedAttributes{
			Nationality: nats[r.IntN(len(nats))], AgeBand: ages[r.IntN(len(ages))], Sex: sexes[r.IntN(len(sexes))],
		})
	}
}

// TestDimensionOrderGivesNothingAway asks the same 2- and 3-dimension
// tables over one population in every order of their dimensions: the
// answers withhold the same cells, the export withholds the same rows, and
// the union of all answers still leaves every withheld cell as much as
// checkAttacker asks.
func TestDimensionOrderGivesNothingAway(t *testing.T) {
	env := servertest.Start(t)
	randomPopulation(t, env.Pool, 58, 160)
	st := client(env)
	ctx := env.As(t, coordinator)
	for _, dims := range [][]casebridgev1.Dimension{{dNat, dAge}, {dNat, dAge, dSex}} {
		var answers []*casebridgev1.CountCasesResponse
		var first []string
		for _, order := range permutations(dims) {
			resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: order})
			if err != nil {
				t.Fatal(err)
			}
			w := withheldSet(dims, resp)
			if first == nil {
				first = w
			} else if !slices.Equal(w, first) {
				t.Errorf("%s withholds %v, %s withheld %v", label(order), w, label(dims), first)
			}
			answers = append(answers, resp)

			out, err := export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV, Dimensions: order})
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			for _, rec := range readCSV(t, out)[1:] {
				if rec[len(order)] == "withheld" {
					rows++
				}
			}
			if cells := withheldCells(resp); rows != cells {
				t.Errorf("export by %s withholds %d rows, CountCases %d cells", label(order), rows, cells)
			}
		}
		n := checkAttacker(t, dims, answers...)
		t.Logf("%s: %d orders, %d withheld cells, none narrowed past its label", label(dims), len(answers), n)
	}
}

func withheldCells(resp *casebridgev1.CountCasesResponse) int {
	n := 0
	for _, c := range resp.GetCells() {
		if c.GetSuppressed() {
			n++
		}
	}
	return n
}

// TestPaddingFromOneOrganisationRevealsNothing plays the padding attack:
// one Moldovan woman is in the care of legal-b; a caseworker of shelter-a
// adds four cases with the same coded attributes, so that the cell counts
// five, and would subtract her own four to find the one real person. The
// cell stays withheld under the contributor rule, and the figures of each
// answer leave it at least k possible values.
func TestPaddingFromOneOrganisationRevealsNothing(t *testing.T) {
	env := servertest.Start(t)
	female, male := casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE
	for _, org := range []string{"shelter-a", "legal-b"} {
		for _, nat := range []string{"UA", "BY"} {
			addMany(t, env.Pool, org, 6, &casebridgev1.CodedAttributes{Nationality: nat, Sex: female})
			addMany(t, env.Pool, org, 6, &casebridgev1.CodedAttributes{Nationality: nat, Sex: male})
		}
	}
	addMany(t, env.Pool, "legal-b", 6, &casebridgev1.CodedAttributes{Nationality: "MD", Sex: male})
	victim := &casebridgev1.CodedAttributes{Nationality: "MD", Sex: female}
	addCase(t, env.Pool, "legal-b", victim)
	st := client(env)
	ctx := env.As(t, coordinator)
	dims := []casebridgev1.Dimension{dNat, dSex}
	cellOf := func(resp *casebridgev1.CountCasesResponse) *casebridgev1.Cell {
		for _, c := range resp.GetCells() {
			if coord(dims, c) == "=SEX_FEMALE|=MD" { // sex sorts before nationality
				return c
			}
		}
		t.Fatal("no MD|female cell")
		return nil
	}
	before, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	if c := cellOf(before); !c.GetSuppressed() || c.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY {
		t.Fatalf("the one woman's cell before padding: %v", c)
	}

	addMany(t, env.Pool, "shelter-a", 4, victim)
	after, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
	if err != nil {
		t.Fatal(err)
	}
	c := cellOf(after)
	if !c.GetSuppressed() || c.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR {
		t.Fatalf("the padded cell: %v, want withheld by the contributor rule", c)
	}
	for _, tot := range after.GetTotals() {
		if coord(dims, tot) == "*|=MD" && !tot.GetSuppressed() && tot.GetCount()-4-6 < k {
			t.Errorf("the Moldovan total %d, less the 4 padded and the 6 men, singles her out", tot.GetCount())
		}
	}
	// The two answers are about different populations (the padding came
	// between them), so they are attacked one at a time: one system of
	// equations describes neither, and their labels of the padded cell
	// ("fewer than k", then "one organisation") contradict each other. The
	// subtraction across them is the check of the Moldovan total above.
	checkAttacker(t, dims, before)
	checkAttacker(t, dims, after)
}
