package stats_test

import (
	"slices"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	dYear    = casebridgev1.Dimension_DIMENSION_YEAR
	dCountry = casebridgev1.Dimension_DIMENSION_COUNTRY
	dSex     = casebridgev1.Dimension_DIMENSION_SEX
	dAge     = casebridgev1.Dimension_DIMENSION_AGE_BAND
	dChild   = casebridgev1.Dimension_DIMENSION_CHILD
	dNat     = casebridgev1.Dimension_DIMENSION_NATIONALITY
	dForm    = casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM
	dStatus  = casebridgev1.Dimension_DIMENSION_IDENTIFICATION_STATUS
	dOrgKind = casebridgev1.Dimension_DIMENSION_ORGANIZATION_KIND
)

// TestCountsMatchTheFile imports the CTDC file and checks CountCases
// against counts computed here from the CSV, for tables of zero to three
// dimensions, with and without filters.
func TestCountsMatchTheFile(t *testing.T) {
	env, file := startWithCTDC(t)
	st := client(env)
	ctx := env.As(t, coordinator)

	for _, dims := range [][]casebridgev1.Dimension{
		nil,
		{dYear},
		{dNat},
		{dForm},
		{dSex, dAge},
		{dOrgKind, dChild},
		{dYear, dNat, dForm},
		{dStatus, dCountry, dYear},
		{dAge, dSex, dOrgKind},
	} {
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: dims})
		if err != nil {
			t.Fatalf("%v: %v", dims, err)
		}
		if !slices.Equal(resp.GetDimensions(), dims) {
			t.Errorf("dimensions %v, asked %v", resp.GetDimensions(), dims)
		}
		checkTable(t, resp, expected(file, dims, nil))
		if total := resp.GetTotals()[0]; len(total.GetValues()) != 0 || total.GetCount() != int64(len(file)) {
			t.Errorf("%v: grand total %v, want %d first", dims, total, len(file))
		}
		if t.Failed() {
			t.Fatalf("table %v is wrong", dims)
		}
	}

	identified := casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED
	for _, tc := range []struct {
		dims   []casebridgev1.Dimension
		filter *casebridgev1.StatsFilter
		keep   func(fileCase) bool
	}{
		{
			dims:   []casebridgev1.Dimension{dYear, dNat},
			filter: &casebridgev1.StatsFilter{IdentificationStatuses: []casebridgev1.IdentificationStatus{identified}},
			keep:   func(c fileCase) bool { return c.coded.GetIdentificationStatus() == identified },
		},
		{
			dims:   []casebridgev1.Dimension{dSex, dForm},
			filter: &casebridgev1.StatsFilter{Years: []int32{2016, 2017, 2018}, Countries: []string{"RS", "MK"}},
			keep: func(c fileCase) bool {
				return c.coded.GetIdentificationYear() >= 2016 && (c.coded.GetCountry() == "RS" || c.coded.GetCountry() == "MK")
			},
		},
		{
			dims:   []casebridgev1.Dimension{dAge},
			filter: &casebridgev1.StatsFilter{Sexes: []casebridgev1.Sex{casebridgev1.Sex_SEX_MALE}, OrganizationKinds: []casebridgev1.OrganizationKind{casebridgev1.OrganizationKind_ORGANIZATION_KIND_SHELTER}},
			keep: func(c fileCase) bool {
				return c.coded.GetSex() == casebridgev1.Sex_SEX_MALE && orgOf(c.line) == 0
			},
		},
	} {
		resp, err := st.CountCases(ctx, &casebridgev1.CountCasesRequest{Dimensions: tc.dims, Filter: tc.filter})
		if err != nil {
			t.Fatalf("%v with %v: %v", tc.dims, tc.filter, err)
		}
		checkTable(t, resp, expected(file, tc.dims, tc.keep))
		if t.Failed() {
			t.Fatalf("table %v with %v is wrong", tc.dims, tc.filter)
		}
	}
}
