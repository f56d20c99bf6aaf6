package stats

import (
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// defaultCTDCDims are the attributes of a CTDC export that names none:
// year, sex and age band, whose few values make a table the audit
// checks quickly. Citizenship, with its many rare values, makes a table
// of many small cells that can take the audit past its budget.
var defaultCTDCDims = []casebridgev1.Dimension{
	casebridgev1.Dimension_DIMENSION_YEAR,
	casebridgev1.Dimension_DIMENSION_SEX,
	casebridgev1.Dimension_DIMENSION_AGE_BAND,
}

// ctdcSep joins the values of an attribute that fills several CTDC
// columns into the one value its table dimension counts.
const ctdcSep = "\x1f"

// ctdcTable lays out the CTDC export: one dimension per attribute asked
// (at most three, as in any exact table), written in the columns of the
// CTDC case data standard and with its words (ctdc.AttributeOf). Cases
// whose coded attributes differ but read the same in CTDC — forced labour
// and begging both set isForcedLabour — fall in one row, so the table is
// protected in CTDC's own terms, the terms its readers would subtract in.
// The exploitation forms are one dimension of three columns
// (isForcedLabour, ExploitType, Labor_Type), written from a case's whole
// set of forms, so each case counts once.
func ctdcTable(dims []casebridgev1.Dimension, filter *casebridgev1.StatsFilter) (*tableSpec, error) {
	if len(dims) == 0 {
		dims = defaultCTDCDims
	}
	if err := checkExactDims(dims); err != nil {
		return nil, err
	}
	sels, err := selections(filter)
	if err != nil {
		return nil, err
	}
	t := &tableSpec{kind: "ctdc", sels: sels}
	for _, d := range dims {
		a := ctdc.AttributeOf(d)
		if a == nil {
			return nil, rpcerr.InvalidArgument("dimensions", "the CTDC layout has no column for %v: it writes year, sex, nationality, exploitation form and age band", d)
		}
		t.columns = append(t.columns, ctdcColumn(t, a))
	}
	return t, nil
}

// ctdcColumn counts cases by one CTDC attribute, written from the coded
// attribute it comes from.
func ctdcColumn(t *tableSpec, a *ctdc.Attribute) column {
	f := fieldOf(a.Dimension())
	i := t.use(f)
	set := func(c *casebridgev1.CodedAttributes, r raw) {
		switch a.Dimension() {
		case casebridgev1.Dimension_DIMENSION_YEAR:
			c.IdentificationYear = int32(atoi(r))
		case casebridgev1.Dimension_DIMENSION_SEX:
			c.Sex = casebridgev1.Sex(atoi(r))
		case casebridgev1.Dimension_DIMENSION_NATIONALITY:
			c.Nationality = r
		case casebridgev1.Dimension_DIMENSION_AGE_BAND:
			c.AgeBand = casebridgev1.AgeBand(atoi(r))
		case casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM:
			for _, f := range formsOf(r) {
				c.ExploitationForms = append(c.ExploitationForms, casebridgev1.ExploitationForm(f))
			}
		}
	}
	return column{
		name:   strings.Join(a.Columns(), "+"),
		header: a.Columns(),
		values: func(r row) []string {
			c := &casebridgev1.CodedAttributes{}
			set(c, r.values[i])
			return []string{strings.Join(a.Values(c), ctdcSep)}
		},
		compare: strings.Compare,
	}
}

func atoi(r raw) int {
	n, _ := strconv.Atoi(r)
	return n
}
