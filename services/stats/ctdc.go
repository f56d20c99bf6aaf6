package stats

import (
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/ctdc"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// ctdcTable lays out the CTDC export: one dimension per column the CTDC
// case data standard shares with our coded attributes (ctdc.Columns), each
// value written as the standard writes it (ctdc.Record). Cases whose coded
// attributes differ but read the same in CTDC — forced labour and begging
// both set isForcedLabour — fall in one row, so the table is protected in
// CTDC's own terms, the terms its readers would subtract in.
func ctdcTable(filter *casebridgev1.StatsFilter) (*tableSpec, error) {
	sels, err := selections(filter)
	if err != nil {
		return nil, err
	}
	t := &tableSpec{sels: sels}
	year := t.use(fieldOf(casebridgev1.Dimension_DIMENSION_YEAR))
	sex := t.use(fieldOf(casebridgev1.Dimension_DIMENSION_SEX))
	nationality := t.use(fieldOf(casebridgev1.Dimension_DIMENSION_NATIONALITY))
	forms := t.use(fieldOf(casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM))
	age := t.use(fieldOf(casebridgev1.Dimension_DIMENSION_AGE_BAND))
	record := func(r row) []string {
		c := &casebridgev1.CodedAttributes{
			IdentificationYear: int32(atoi(r.values[year])),
			Sex:                casebridgev1.Sex(atoi(r.values[sex])),
			Nationality:        r.values[nationality],
			AgeBand:            casebridgev1.AgeBand(atoi(r.values[age])),
		}
		for _, f := range formsOf(r.values[forms]) {
			c.ExploitationForms = append(c.ExploitationForms, casebridgev1.ExploitationForm(f))
		}
		return ctdc.Record(c)
	}
	for i, name := range ctdc.Columns() {
		t.columns = append(t.columns, column{
			name:    name,
			values:  func(r row) []string { return []string{record(r)[i]} },
			compare: strings.Compare,
		})
	}
	return t, nil
}

func atoi(r raw) int {
	n, _ := strconv.Atoi(r)
	return n
}
