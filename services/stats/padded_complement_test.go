package stats_test

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// recordCases creates n cases with the coded attributes c through the real
// CaseService, as subject: cases an organisation's caseworker entered,
// with attributes of her own choosing.
func recordCases(t *testing.T, env *servertest.Env, subject string, n int, c *casebridgev1.CodedAttributes) {
	t.Helper()
	ctx := env.As(t, subject)
	for range n {
		if _, err := env.Cases().CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{Coded: c}}); err != nil {
			t.Fatal(err)
		}
	}
}

// eritreans is n Eritrean cases of one organisation in one year × sex
// cell: the difference between the table of all cases and the table
// filtered to Ukrainians.
type eritreans struct {
	org  string
	year int32
	sex  casebridgev1.Sex
	n    int64
}

// share counts the Eritreans of org in cell, a key of cellKey over year ×
// sex ("*" for a total).
func share(es []eritreans, org, cell string) int64 {
	parts := strings.Split(cell, "|")
	var n int64
	for _, e := range es {
		if e.org == org && (parts[0] == "*" || parts[0] == strconv.Itoa(int(e.year))) && (parts[1] == "*" || parts[1] == e.sex.String()) {
			n += e.n
		}
	}
	return n
}

// TestPaddedComplementHidesThePerson: a caseworker of shelter-a pads the
// complement of a filter with cases of her own, so that the table filtered
// to Ukrainians differs from the unfiltered one by at least k in every
// cell, and then takes her own cases out of the difference. cso-c has 10
// Ukrainians in each year × sex cell, shelter-a records 5 Eritreans in
// each; legal-b has one Eritrean woman identified in 2017. No
// organisation may take its own cases out of a difference the two tables
// publish and be left with 1 to k-1: for shelter-a that would be the
// woman's year and sex (16 − 10 − 5 = 1 in 2017 × female).
//
// Before the woman is recorded the filtered table is published whole (each
// difference is shelter-a's alone and she learns nothing); with her, the
// grand total differs by 21, 20 of them shelter-a's, and the query is
// refused. Once cso-c has 5 Eritrean men in 2018 the grand total is safe
// again and the table is answered, with the woman's year, her sex and her
// cell withheld.
func TestPaddedComplementHidesThePerson(t *testing.T) {
	env := servertest.Start(t)
	female, male := casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE
	var diff []eritreans
	for _, y := range []int32{2017, 2018} {
		for _, s := range []casebridgev1.Sex{female, male} {
			addMany(t, env.Pool, "cso-c", 10, &casebridgev1.CodedAttributes{Nationality: "UA", IdentificationYear: y, Sex: s})
			recordCases(t, env, caseworker, 5, &casebridgev1.CodedAttributes{Nationality: "ER", IdentificationYear: y, Sex: s})
			diff = append(diff, eritreans{"shelter-a", y, s, 5})
		}
	}
	st, ctx := client(env), env.As(t, coordinator)
	dims := []casebridgev1.Dimension{dYear, dSex}
	toUA := &casebridgev1.StatsFilter{Nationalities: []string{"UA"}}
	ask := func(f *casebridgev1.StatsFilter) (*casebridgev1.CountCasesResponse, error) {
		t.Helper()
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims, Filter: f})
		if err == nil && resp.GetRelease().GetRepeated() {
			t.Fatal("answered from the cache: the new cases did not change the population")
		}
		return resp, err
	}
	// attack asks both tables and has each organisation take its own
	// Eritreans out of every difference they publish; it returns the
	// filtered table, nil when the query was refused.
	attack := func(stage string) *casebridgev1.CountCasesResponse {
		t.Helper()
		all, err := ask(nil)
		if err != nil {
			t.Fatalf("%s, all cases: %v", stage, err)
		}
		ua, err := ask(toUA)
		switch codeOf(err) {
		case codes.OK:
		case codes.FailedPrecondition:
			t.Logf("%s, filtered to UA: refused: %v", stage, err)
			return nil
		default:
			t.Fatalf("%s, filtered to UA: %v", stage, err)
		}
		u := published(dims, ua)
		for cell, n := range published(dims, all) {
			m, ok := u[cell]
			if !ok {
				continue
			}
			for _, org := range []string{"shelter-a", "legal-b", "cso-c"} {
				own := share(diff, org, cell)
				if left := n - m - own; left > 0 && left < k {
					t.Errorf("%s, cell %s: %d in all, %d Ukrainians; %s takes out her own %d and is left with %d", stage, cell, n, m, org, own, left)
				}
			}
		}
		return ua
	}

	if ua := attack("without the woman"); ua == nil {
		t.Error("without the woman the filtered table is refused, though every difference is shelter-a's alone")
	} else {
		for _, c := range append(ua.GetCells(), ua.GetTotals()...) {
			if c.GetSuppressed() {
				t.Errorf("without the woman, %s is withheld (%v), though every difference is shelter-a's alone", cellKey(dims, c), c.GetWithheldReason())
			}
		}
	}

	addCase(t, env.Pool, "legal-b", &casebridgev1.CodedAttributes{Nationality: "ER", IdentificationYear: 2017, Sex: female})
	diff = append(diff, eritreans{"legal-b", 2017, female, 1})
	if ua := attack("with the woman"); ua != nil {
		t.Errorf("with the woman the filtered table is answered, though its grand total differs from all cases by 21, 20 of them shelter-a's")
	}

	addMany(t, env.Pool, "cso-c", 5, &casebridgev1.CodedAttributes{Nationality: "ER", IdentificationYear: 2018, Sex: male})
	diff = append(diff, eritreans{"cso-c", 2018, male, 5})
	ua := attack("with cso-c's Eritreans")
	if ua == nil {
		t.Fatal("with cso-c's Eritreans the filtered table is refused, though no organisation can reduce its grand total's difference (26) below k")
	}
	seen := 0
	for _, c := range append(ua.GetCells(), ua.GetTotals()...) {
		cell := cellKey(dims, c)
		switch cell {
		case "2017|SEX_FEMALE", "2017|*", "*|SEX_FEMALE":
			seen++
			if c.GetWithheldReason() != casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING {
				t.Errorf("with cso-c's Eritreans, %s is %v (%d), want withheld for differencing: shelter-a's share of its difference is all but the woman", cell, c.GetWithheldReason(), c.GetCount())
			}
		}
	}
	if seen != 3 {
		t.Errorf("with cso-c's Eritreans, %d of the woman's cell and totals are in the filtered table, want 3", seen)
	}
}
