package casectl

import (
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWithheldCellsSayWhy: a withheld count reads "withheld" with its
// reason, and only a primary one is said to be below k — a cell withheld
// to protect another has at least k cases.
func TestWithheldCellsSayWhy(t *testing.T) {
	resp := &casebridgev1.CountCasesResponse{
		K:          5,
		Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR},
		Cells: []*casebridgev1.Cell{
			{Values: []*casebridgev1.DimensionValue{{Dimension: casebridgev1.Dimension_DIMENSION_YEAR, Value: "2023"}}, Count: 12},
			{Values: []*casebridgev1.DimensionValue{{Dimension: casebridgev1.Dimension_DIMENSION_YEAR, Value: "2024"}},
				Suppressed: true, WithheldReason: casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY},
			{Values: []*casebridgev1.DimensionValue{{Dimension: casebridgev1.Dimension_DIMENSION_YEAR, Value: "2025"}},
				Suppressed: true, WithheldReason: casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY},
		},
		Totals: []*casebridgev1.Cell{{Count: 40}},
	}
	_, rows := crossTable(resp)
	want := [][]string{
		{"2023", "12"},
		{"2024", "withheld (fewer than 5)"},
		{"2025", "withheld (protects another cell)"},
		{"(all)", "40"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	for i := range want {
		if rows[i][0] != want[i][0] || rows[i][1] != want[i][1] {
			t.Errorf("row %d reads %q, want %q", i, rows[i], want[i])
		}
	}
}

// TestWithheldIndicatorsSayWhatIsSmall: an indicator withheld because it
// rests on fewer than k persons or events — ten services to two persons,
// a median over three referrals — is not said to be below k.
func TestWithheldIndicatorsSayWhatIsSmall(t *testing.T) {
	for _, c := range []struct {
		reason casebridgev1.WithheldReason
		want   string
	}{
		{casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE, "withheld (rests on fewer than 5)"},
		{casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY, "withheld (fewer than 5)"},
		{casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY, "withheld (protects another cell)"},
		{casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED, "withheld (not verified in time)"},
	} {
		ind := &casebridgev1.Indicator{Id: "referrals.median_days_to_acceptance", Suppressed: true, WithheldReason: c.reason}
		if got := indicatorValue(ind, 5); got != c.want {
			t.Errorf("%v reads %q, want %q", c.reason, got, c.want)
		}
	}
}
