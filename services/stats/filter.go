package stats

import (
	"slices"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// selection is one field of a StatsFilter: the raw values it lets through.
type selection struct {
	field *field
	// values are the selected raw values of a single-valued field; for
	// exploitation forms, the selected form numbers (0: no form known).
	values []raw
}

// selections turns a filter into one selection per restricted field, in
// field order. Empty fields do not restrict and are left out.
func selections(f *casebridgev1.StatsFilter) ([]selection, error) {
	if err := checkCountries("filter.countries", f.GetCountries()); err != nil {
		return nil, err
	}
	if err := checkCountries("filter.nationalities", f.GetNationalities()); err != nil {
		return nil, err
	}
	lists := map[casebridgev1.Dimension][]raw{
		casebridgev1.Dimension_DIMENSION_YEAR:                  numbers(f.GetYears()),
		casebridgev1.Dimension_DIMENSION_COUNTRY:               f.GetCountries(),
		casebridgev1.Dimension_DIMENSION_SEX:                   enums(f.GetSexes()),
		casebridgev1.Dimension_DIMENSION_AGE_BAND:              enums(f.GetAgeBands()),
		casebridgev1.Dimension_DIMENSION_CHILD:                 enums(f.GetChild()),
		casebridgev1.Dimension_DIMENSION_NATIONALITY:           f.GetNationalities(),
		casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM:     enums(f.GetExploitationForms()),
		casebridgev1.Dimension_DIMENSION_IDENTIFICATION_STATUS: enums(f.GetIdentificationStatuses()),
		casebridgev1.Dimension_DIMENSION_ORGANIZATION_KIND:     enums(f.GetOrganizationKinds()),
	}
	var out []selection
	for _, fd := range fields {
		if vs := lists[fd.dim]; len(vs) > 0 {
			out = append(out, selection{field: fd, values: vs})
		}
	}
	return out, nil
}

// checkCountries refuses codes that are well formed but name no country:
// such a filter could only ever match nothing.
func checkCountries(path string, codes []string) error {
	for i, c := range codes {
		if c != "" && !iso.ValidCountry(c) {
			return rpcerr.InvalidArgument(path+"["+strconv.Itoa(i)+"]", "%q is not an ISO 3166-1 alpha-2 country code", c)
		}
	}
	return nil
}

func numbers(ys []int32) []raw {
	out := make([]raw, len(ys))
	for i, y := range ys {
		out[i] = strconv.Itoa(int(y))
	}
	return out
}

func enums[E ~int32](es []E) []raw {
	out := make([]raw, len(es))
	for i, e := range es {
		out[i] = strconv.Itoa(int(e))
	}
	return out
}

// test says whether a raw value passes the selection, and gives the keys
// the disclosure rules need: via, the selected value(s) it passes through;
// own, the value itself.
//
// For exploitation forms a case passes when it has any selected form (or
// has none and "unknown" is selected); it passes through the selected
// forms it has, and its own value is its whole set of forms.
func (s selection) test(v raw) (pass bool, via, own string) {
	if s.field.kind != kindForms {
		return slices.Contains(s.values, v), v, v
	}
	forms := formsOf(v)
	var through []string
	if len(forms) == 0 {
		if slices.Contains(s.values, "0") {
			through = append(through, "0")
		}
	} else {
		for _, f := range forms {
			if n := strconv.Itoa(int(f)); slices.Contains(s.values, n) {
				through = append(through, n)
			}
		}
	}
	return len(through) > 0, strings.Join(through, ","), v
}
