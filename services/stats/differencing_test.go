package stats_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// addCase inserts one case with the given coded attributes.
func addCase(t *testing.T, pool *pgxpool.Pool, org string, c *casebridgev1.CodedAttributes) string {
	t.Helper()
	id := uuid.NewString()
	forms := []int16{}
	for _, f := range c.GetExploitationForms() {
		forms = append(forms, int16(f))
	}
	_, err := pool.Exec(context.Background(), `INSERT INTO cases (id, organization_id, reference, status,
			sex, age_band, child, nationality, country, identification_year, exploitation_forms, identification_status)
		VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, org, "T-"+id[:8], int16(c.GetSex()), int16(c.GetAgeBand()), int16(c.GetChild()), c.GetNationality(),
		c.GetCountry(), c.GetIdentificationYear(), forms, int16(c.GetIdentificationStatus()))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDifferencingAttackFails plays the classic attack against the CTDC
// data: the file has exactly one person from Eritrea. Count everyone by
// year, then everyone but Eritreans by year, and subtract: the difference
// would be the Eritrean's year of registration. The second query is
// refused, and no cell of any answered filter differs from the unfiltered
// table by fewer than k.
func TestDifferencingAttackFails(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)

	var nats []string
	seen := map[string]int{}
	for _, c := range file {
		n := c.coded.GetNationality()
		if seen[n] == 0 && n != "ER" {
			nats = append(nats, n)
		}
		seen[n]++
	}
	if seen["ER"] != 1 {
		t.Fatalf("fixture has %d Eritrean cases, the test expects 1", seen["ER"])
	}
	byYear := []casebridgev1.Dimension{dYear}
	all, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: byYear})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: byYear,
		Filter: &casebridgev1.StatsFilter{Nationalities: nats}})
	wantCode(t, err, codes.FailedPrecondition)

	// The same subtraction through the export is refused too.
	_, err = export(t, st, ctx, &casebridgev1.ExportCasesRequest{Format: casebridgev1.ExportFormat_EXPORT_FORMAT_CSV,
		Dimensions: byYear, Filter: &casebridgev1.StatsFilter{Nationalities: nats}})
	wantCode(t, err, codes.FailedPrecondition)

	// Adding the rare nationality to a selection is refused as well:
	// {UA, ER} minus {UA} would be the Eritrean.
	_, err = st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: byYear,
		Filter: &casebridgev1.StatsFilter{Nationalities: []string{"UA", "ER"}}})
	wantCode(t, err, codes.FailedPrecondition)

	// Filters that are allowed never differ from the unfiltered table by
	// fewer than k cases in a cell both publish.
	unfiltered := published(byYear, all)
	for _, f := range []*casebridgev1.StatsFilter{
		{Nationalities: []string{"UA"}},
		{Sexes: []casebridgev1.Sex{casebridgev1.Sex_SEX_FEMALE}},
		{Sexes: []casebridgev1.Sex{casebridgev1.Sex_SEX_MALE}},
		{IdentificationStatuses: []casebridgev1.IdentificationStatus{casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED}},
		{AgeBands: []casebridgev1.AgeBand{casebridgev1.AgeBand_AGE_BAND_0_8}},
		{Countries: []string{"MK"}},
	} {
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: byYear, Filter: f})
		if err != nil {
			t.Logf("filter %v refused: %v", f, err)
			continue
		}
		for key, n := range published(byYear, resp) {
			if m, ok := unfiltered[key]; ok && m-n > 0 && m-n < k {
				t.Errorf("filter %v: cell %s is %d, unfiltered %d: the difference isolates %d case(s)", f, key, n, m, m-n)
			}
		}
	}
}

// TestRareValueCannotBeRecoveredBySubtraction adds one person of a rare
// sex to a population and tries every way of isolating them by filters:
// all but them, each other value alone (to subtract from the total), and
// a selection that includes them.
func TestRareValueCannotBeRecoveredBySubtraction(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	for i := range 60 {
		sex := casebridgev1.Sex_SEX_FEMALE
		if i%3 == 0 {
			sex = casebridgev1.Sex_SEX_MALE
		}
		addCase(t, env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Sex: sex, IdentificationYear: int32(2020 + i%4), Nationality: "RS"})
	}
	addCase(t, env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_OTHER, IdentificationYear: 2023, Nationality: "RS"})

	all, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dSex}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.GetCells() {
		if c.GetValues()[0].GetValue() == "SEX_OTHER" && !c.GetSuppressed() {
			t.Fatalf("the one SEX_OTHER case is published: %v", c)
		}
	}
	female, male := casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE
	for _, sexes := range [][]casebridgev1.Sex{
		{female, male, casebridgev1.Sex_SEX_UNSPECIFIED}, // all but them
		{female}, // total - female - male
		{male},
		{female, casebridgev1.Sex_SEX_OTHER}, // (female or them) - female
	} {
		_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: []casebridgev1.Dimension{dYear},
			Filter: &casebridgev1.StatsFilter{Sexes: sexes}})
		wantCode(t, err, codes.FailedPrecondition)
	}

	// Four more people of that sex make a group of k: filters are fine again.
	for i := range 4 {
		addCase(t, env.Pool, "shelter-a", &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_OTHER, IdentificationYear: int32(2020 + i), Nationality: "RS"})
	}
	if _, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Filter: &casebridgev1.StatsFilter{Sexes: []casebridgev1.Sex{female}}}); err != nil {
		t.Fatalf("filter by a value once the rare group reaches k: %v", err)
	}
}

// TestNarrowFilterIsRefused: a filter cannot narrow a query below k cases.
func TestNarrowFilterIsRefused(t *testing.T) {
	env, _ := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)
	// Four Afghan cases in the file.
	_, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Filter: &casebridgev1.StatsFilter{Nationalities: []string{"AF"}}})
	wantCode(t, err, codes.FailedPrecondition)
	// A year with no cases at all.
	_, err = st.CountCases(ctx, &casebridgev1.CountCasesRequest{Filter: &casebridgev1.StatsFilter{Years: []int32{1999}}})
	wantCode(t, err, codes.FailedPrecondition)
	// A country code that is no country.
	_, err = st.CountCases(ctx, &casebridgev1.CountCasesRequest{Filter: &casebridgev1.StatsFilter{Countries: []string{"XX"}}})
	wantCode(t, err, codes.InvalidArgument)
}

// published maps each published cell and total to its count.
func published(dims []casebridgev1.Dimension, resp *casebridgev1.CountCasesResponse) map[string]int64 {
	out := map[string]int64{}
	for _, c := range append(resp.GetCells(), resp.GetTotals()...) {
		if !c.GetSuppressed() {
			out[cellKey(dims, c)] = c.GetCount()
		}
	}
	return out
}
