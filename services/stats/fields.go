package stats

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// fieldKind is how a coded attribute is stored and written.
type fieldKind int

const (
	kindYear  fieldKind = iota // integer year, 0 unknown
	kindCode                   // ISO 3166-1 code, "" unknown
	kindEnum                   // smallint enum value, 0 unknown
	kindForms                  // smallint[] of exploitation forms, {} unknown
)

// field is a coded attribute that can be a dimension and a filter. Its SQL
// is a fixed expression: requests choose fields by enum, and no text of a
// request ever reaches a query.
type field struct {
	dim  casebridgev1.Dimension
	name string // column header in CSV exports, and in messages
	expr string // over cases c (and organizations o when org is set)
	org  bool
	kind fieldKind
	enum protoreflect.EnumDescriptor // for kindEnum and kindForms
}

// fields lists the coded attributes in Dimension order.
var fields = []*field{
	{dim: casebridgev1.Dimension_DIMENSION_YEAR, name: "year", expr: "c.identification_year", kind: kindYear},
	{dim: casebridgev1.Dimension_DIMENSION_COUNTRY, name: "country", expr: "c.country", kind: kindCode},
	{dim: casebridgev1.Dimension_DIMENSION_SEX, name: "sex", expr: "c.sex", kind: kindEnum,
		enum: casebridgev1.Sex(0).Descriptor()},
	{dim: casebridgev1.Dimension_DIMENSION_AGE_BAND, name: "age_band", expr: "c.age_band", kind: kindEnum,
		enum: casebridgev1.AgeBand(0).Descriptor()},
	{dim: casebridgev1.Dimension_DIMENSION_CHILD, name: "child", expr: "c.child", kind: kindEnum,
		enum: casebridgev1.ChildStatus(0).Descriptor()},
	{dim: casebridgev1.Dimension_DIMENSION_NATIONALITY, name: "nationality", expr: "c.nationality", kind: kindCode},
	{dim: casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM, name: "exploitation_form", expr: "c.exploitation_forms", kind: kindForms,
		enum: casebridgev1.ExploitationForm(0).Descriptor()},
	{dim: casebridgev1.Dimension_DIMENSION_IDENTIFICATION_STATUS, name: "identification_status", expr: "c.identification_status", kind: kindEnum,
		enum: casebridgev1.IdentificationStatus(0).Descriptor()},
	{dim: casebridgev1.Dimension_DIMENSION_ORGANIZATION_KIND, name: "organization_kind", expr: "o.kind", org: true, kind: kindEnum,
		enum: casebridgev1.OrganizationKind(0).Descriptor()},
}

// fieldOf returns the field of a dimension; nil for UNSPECIFIED or an
// unknown number (the validator refuses both before a handler runs).
func fieldOf(d casebridgev1.Dimension) *field {
	for _, f := range fields {
		if f.dim == d {
			return f
		}
	}
	return nil
}

// raw is a field's stored value as read from PostgreSQL, kept as a key:
// the decimal year or enum number, the country code, or the sorted form
// numbers joined by commas.
type raw = string

// formsKey turns an array of forms into its raw key, sorted so that {2,1}
// and {1,2} are the same.
func formsKey(forms []int16) raw {
	s := slices.Clone(forms)
	slices.Sort(s)
	s = slices.Compact(s)
	parts := make([]string, len(s))
	for i, f := range s {
		parts[i] = strconv.Itoa(int(f))
	}
	return strings.Join(parts, ",")
}

// formsOf parses a raw forms key.
func formsOf(r raw) []int16 {
	if r == "" {
		return nil
	}
	var out []int16
	for p := range strings.SplitSeq(r, ",") {
		n, _ := strconv.Atoi(p)
		out = append(out, int16(n))
	}
	return out
}

// values writes a raw value as the API writes it (see DimensionValue): a
// year in decimal, a country code, an enum value name, "" for unknown. A
// multi-valued attribute gives one value per element, [""] when empty.
func (f *field) values(r raw) []string {
	switch f.kind {
	case kindYear:
		if r == "0" {
			return []string{""}
		}
		return []string{r}
	case kindCode:
		return []string{r}
	case kindEnum:
		return []string{f.enumName(r)}
	default:
		forms := formsOf(r)
		if len(forms) == 0 {
			return []string{""}
		}
		out := make([]string, len(forms))
		for i, n := range forms {
			out[i] = f.enumName(strconv.Itoa(int(n)))
		}
		return out
	}
}

func (f *field) enumName(r raw) string {
	n, err := strconv.Atoi(r)
	if err != nil || n == 0 {
		return ""
	}
	if v := f.enum.Values().ByNumber(protoreflect.EnumNumber(n)); v != nil {
		return string(v.Name())
	}
	return r
}

// compare orders two API values of the field: unknown first, then years
// and enums by number, codes alphabetically.
func (f *field) compare(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" || b == "" {
		return cmp.Compare(len(a), len(b))
	}
	switch f.kind {
	case kindYear:
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return cmp.Compare(x, y)
	case kindEnum, kindForms:
		return cmp.Compare(f.number(a), f.number(b))
	}
	return strings.Compare(a, b)
}

func (f *field) number(name string) protoreflect.EnumNumber {
	if v := f.enum.Values().ByName(protoreflect.Name(name)); v != nil {
		return v.Number()
	}
	return 1 << 30
}
