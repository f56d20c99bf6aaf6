// Package ctdc reads and writes case data in the column layout of the
// Counter Trafficking Data Collaborative (CTDC) global victim dataset, as
// in the published CTDC-derived victim file (internal/ctdc/synth writes one with its skew):
//
//	yearOfRegistration,Datasource,gender,citizenship,isForcedLabour,
//	ControlCategory,RecruiterCategory,ExploitType,Labor_Type,ageCategories
//
// A Reader turns each data line into a casebridgev1.ImportRow for
// CaseService.ImportCases; Columns and Record turn coded attributes back
// into CTDC column values for the statistics export. MAPPING.md has the
// same mapping as a table.
//
// # From CTDC to coded attributes
//
//   - yearOfRegistration → identification_year. CTDC records the year the
//     case was registered by the contributing organisation (or the hotline
//     call was logged); it is the closest CTDC has to our year of
//     identification, not the same thing. Empty or -99 → 0 (unknown).
//   - Datasource → identification_status. "Case Management" →
//     IDENTIFIED: these are people identified as victims and assisted by a
//     counter-trafficking organisation (IOM and partners) that recorded them
//     in its case management system. "Hotline" → PRESUMED: people who
//     contacted, or were reported to, a counter-trafficking hotline (Polaris);
//     the hotline judged the situation to be trafficking but nobody is known
//     to have identified the person formally. CTDC does not say whether a
//     state body took part in the identification, which our IDENTIFIED
//     means strictly; the mapping is the nearest one. Empty/Unknown/-99 →
//     unspecified.
//   - gender → sex. Female → SEX_FEMALE, Male → SEX_MALE, Transgender or
//     Other → SEX_OTHER, Unknown/empty/-99 → unspecified.
//   - citizenship (ISO 3166-1 alpha-2) → nationality; 0, empty, Unknown or
//     -99 → "" (unknown). Whether the code names a real country is checked
//     by the server, which rejects the row if not.
//   - ExploitType → exploitation_forms: "Sexual Exploitation" → SEXUAL,
//     "Forced Labor" → FORCED_LABOUR, "Forced Marriage" → FORCED_MARRIAGE,
//     "Other" → OTHER, Unknown/empty → none. isForcedLabour = 1 adds
//     FORCED_LABOUR (0 and -99 add nothing). Labor_Type = "Begging" adds
//     BEGGING, a form of exploitation in its own right in our model (CTDC
//     files it as a kind of forced labour). Each form is listed once.
//   - ageCategories → age_band ("Age 0-8" … "Age 48+" → AGE_BAND_0_8 …
//     AGE_BAND_48_PLUS; Unknown/empty/-99 → unspecified) and child: CHILD
//     for the bands 0-8 and 9-17, ADULT for any other known band,
//     unspecified when the band is unknown.
//   - country (of identification) is left empty: the dataset has no
//     country-of-exploitation or country-of-identification column.
//   - ControlCategory (means of control), RecruiterCategory (relation to the
//     recruiter) and Labor_Type other than Begging (the sector of forced
//     labour) have no counterpart in the coded attributes and are dropped.
//
// Words are matched ignoring case and surrounding or repeated spaces. A
// word the mapping does not know in gender, Datasource, citizenship,
// isForcedLabour, ExploitType or ageCategories, a year that is not a whole
// number, or a line with the wrong number of fields makes the row a parse
// error: Next returns it as an ImportRow with ParseError set and no coded
// attributes, so that the import rejects that line with the reason and goes
// on. Only a bad header or a failing io.Reader is a Go error.
//
// # One row, one case
//
// CTDC lists one person on several rows that differ only in the means of
// control (ControlCategory), one row per means. That column is dropped, so
// such rows become identical coded attributes — but the file does not say
// which rows belong to one person, so rows are imported as given: one case
// per line. Counts of imported CTDC cases are therefore counts of CTDC rows,
// higher than the number of persons.
//
// # From coded attributes to CTDC
//
// Record fills the CTDC columns that coded attributes can fill (Columns),
// using the inverse of the mapping above, with these choices where it is
// not one-to-one:
//
//   - unknown values are written as the dataset writes them: citizenship
//     "0", isForcedLabour "-99" (when no form of exploitation is known),
//     "Unknown" in the text columns, an empty yearOfRegistration;
//   - SEX_OTHER is written "Transgender";
//   - ExploitType holds one value: "Sexual Exploitation" if SEXUAL is among
//     the forms, else "Forced Marriage" if FORCED_MARRIAGE is, else "Other"
//     if OTHER, FORCED_CRIMINALITY, ORGAN_REMOVAL or SLAVERY is, else
//     "Forced Labor" if FORCED_LABOUR or BEGGING is, else "Unknown" — forced
//     labour has its own flag, isForcedLabour, which is "1" for
//     FORCED_LABOUR or BEGGING, else "0" when some form is known;
//   - Labor_Type is "Begging" for BEGGING, else "Unknown" (the sector is
//     not recorded);
//   - ageCategories comes from the age band only: a child with no band is
//     "Unknown";
//   - Datasource is not written: every Casebridge case comes from case
//     management, whatever its identification status, so it cannot be
//     derived from the coded attributes; ControlCategory and
//     RecruiterCategory are not recorded.
package ctdc

import (
	"fmt"
	"strconv"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// CTDC column names.
const (
	colYear        = "yearOfRegistration"
	colDatasource  = "Datasource"
	colGender      = "gender"
	colCitizenship = "citizenship"
	colForced      = "isForcedLabour"
	colControl     = "ControlCategory"
	colRecruiter   = "RecruiterCategory"
	colExploit     = "ExploitType"
	colLabor       = "Labor_Type"
	colAge         = "ageCategories"
)

// requiredColumns are the columns the mapping reads, in the dataset's order.
// ControlCategory and RecruiterCategory are dropped, so a file may lack them.
var requiredColumns = []string{colYear, colDatasource, colGender, colCitizenship, colForced, colExploit, colLabor, colAge}

// exportColumns are the columns Record fills, in the dataset's order.
var exportColumns = []string{colYear, colGender, colCitizenship, colForced, colExploit, colLabor, colAge}

// Values written for unknowns, as in the dataset.
const (
	unknownWord        = "Unknown"
	unknownCitizenship = "0"
	unknownFlag        = "-99"
)

type (
	sex    = casebridgev1.Sex
	band   = casebridgev1.AgeBand
	form   = casebridgev1.ExploitationForm
	status = casebridgev1.IdentificationStatus
)

var genders = map[string]sex{
	"female":      casebridgev1.Sex_SEX_FEMALE,
	"male":        casebridgev1.Sex_SEX_MALE,
	"transgender": casebridgev1.Sex_SEX_OTHER,
	"other":       casebridgev1.Sex_SEX_OTHER,
}

var genderWords = map[sex]string{
	casebridgev1.Sex_SEX_FEMALE: "Female",
	casebridgev1.Sex_SEX_MALE:   "Male",
	casebridgev1.Sex_SEX_OTHER:  "Transgender",
}

var datasources = map[string]status{
	"case management": casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED,
	"hotline":         casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED,
}

var exploitTypes = map[string]form{
	"sexual exploitation": casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL,
	"forced labor":        casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR,
	"forced labour":       casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR,
	"forced marriage":     casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_MARRIAGE,
	"other":               casebridgev1.ExploitationForm_EXPLOITATION_FORM_OTHER,
}

// ageBands lists the CTDC age categories in order, as written in the dataset.
var ageBands = []struct {
	word  string
	band  band
	child bool
}{
	{"Age 0-8", casebridgev1.AgeBand_AGE_BAND_0_8, true},
	{"Age 9-17", casebridgev1.AgeBand_AGE_BAND_9_17, true},
	{"Age 18-20", casebridgev1.AgeBand_AGE_BAND_18_20, false},
	{"Age 21-23", casebridgev1.AgeBand_AGE_BAND_21_23, false},
	{"Age 24-26", casebridgev1.AgeBand_AGE_BAND_24_26, false},
	{"Age 27-29", casebridgev1.AgeBand_AGE_BAND_27_29, false},
	{"Age 30-38", casebridgev1.AgeBand_AGE_BAND_30_38, false},
	{"Age 39-47", casebridgev1.AgeBand_AGE_BAND_39_47, false},
	{"Age 48+", casebridgev1.AgeBand_AGE_BAND_48_PLUS, false},
}

// normalize lower-cases a value and collapses its spaces.
func normalize(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

// unknown reports whether a normalized value means "not known".
func unknown(v string) bool {
	switch v {
	case "", "unknown", "-99", "not specified":
		return true
	}
	return false
}

// maxQuoted bounds how much of an offending value a reason repeats.
const maxQuoted = 40

// quote quotes a value for a reason, cut to maxQuoted bytes on a rune boundary.
func quote(v string) string {
	if len(v) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !isRuneStart(v[cut]) {
			cut--
		}
		return strconv.Quote(v[:cut]) + "…"
	}
	return strconv.Quote(v)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// fields gives the value of a column on one data line ("" when absent).
type fields func(col string) string

// parse maps one data line to coded attributes, or lists what is wrong
// with it, one problem per column.
func parse(f fields) (*casebridgev1.CodedAttributes, []string) {
	c := &casebridgev1.CodedAttributes{}
	var problems []string
	bad := func(col, format, v string) {
		problems = append(problems, col+": "+fmt.Sprintf(format, quote(v)))
	}

	if v := strings.TrimSpace(f(colYear)); !unknown(normalize(v)) {
		y, err := strconv.ParseInt(v, 10, 32)
		if err != nil || y < 1 || y > 9999 {
			bad(colYear, "%s is not a year", v)
		} else {
			c.IdentificationYear = int32(y)
		}
	}

	if v := normalize(f(colDatasource)); !unknown(v) {
		if s, ok := datasources[v]; ok {
			c.IdentificationStatus = s
		} else {
			bad(colDatasource, `unknown source %s (want "Case Management", "Hotline" or "Unknown")`, f(colDatasource))
		}
	}

	if v := normalize(f(colGender)); !unknown(v) {
		if s, ok := genders[v]; ok {
			c.Sex = s
		} else {
			bad(colGender, `unknown gender %s (want "Female", "Male", "Transgender", "Other" or "Unknown")`, f(colGender))
		}
	}

	if v := strings.TrimSpace(f(colCitizenship)); v != unknownCitizenship && !unknown(normalize(v)) {
		code := strings.ToUpper(v)
		if len(code) == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' {
			c.Nationality = code
		} else {
			bad(colCitizenship, "%s is not an ISO 3166-1 alpha-2 country code", v)
		}
	}

	addForm := func(fm form) {
		for _, have := range c.ExploitationForms {
			if have == fm {
				return
			}
		}
		c.ExploitationForms = append(c.ExploitationForms, fm)
	}
	if v := normalize(f(colExploit)); !unknown(v) {
		if fm, ok := exploitTypes[v]; ok {
			addForm(fm)
		} else {
			bad(colExploit, `unknown exploitation type %s (want "Sexual Exploitation", "Forced Labor", "Forced Marriage", "Other" or "Unknown")`, f(colExploit))
		}
	}
	switch v := normalize(f(colForced)); {
	case v == "1":
		addForm(casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR)
	case v == "0" || unknown(v):
	default:
		bad(colForced, "%s is not 1, 0 or -99", f(colForced))
	}
	if normalize(f(colLabor)) == "begging" {
		addForm(casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING)
	}

	if v := normalize(f(colAge)); !unknown(v) {
		found := false
		for _, b := range ageBands {
			if v == normalize(b.word) || "age "+v == normalize(b.word) {
				c.AgeBand = b.band
				c.Child = casebridgev1.ChildStatus_CHILD_STATUS_ADULT
				if b.child {
					c.Child = casebridgev1.ChildStatus_CHILD_STATUS_CHILD
				}
				found = true
				break
			}
		}
		if !found {
			bad(colAge, `unknown age band %s (want "Age 0-8", "Age 9-17", "Age 18-20", "Age 21-23", "Age 24-26", "Age 27-29", "Age 30-38", "Age 39-47", "Age 48+" or "Unknown")`, f(colAge))
		}
	}
	return c, problems
}

// Columns names the CTDC columns that Record fills, in order.
func Columns() []string {
	return append([]string(nil), exportColumns...)
}

// Record writes coded attributes as the values of Columns, in the same
// order, following the reverse mapping in the package documentation. A nil
// c is written as all unknown.
func Record(c *casebridgev1.CodedAttributes) []string {
	out := make([]string, 0, len(exportColumns))
	for _, a := range attributes {
		out = append(out, a.write(c)...)
	}
	return out
}

// An Attribute is one coded attribute as the CTDC layout writes it: the
// columns it fills and their values. The exploitation forms fill three
// columns (isForcedLabour, ExploitType, Labor_Type), written together
// from a case's whole set of forms.
type Attribute struct {
	dim     casebridgev1.Dimension
	columns []string
	write   func(c *casebridgev1.CodedAttributes) []string
}

// Dimension is the statistics dimension the attribute writes.
func (a *Attribute) Dimension() casebridgev1.Dimension { return a.dim }

// Columns names the CTDC columns the attribute fills, in order.
func (a *Attribute) Columns() []string { return append([]string(nil), a.columns...) }

// Values writes c's value of the attribute, one per column.
func (a *Attribute) Values(c *casebridgev1.CodedAttributes) []string { return a.write(c) }

// AttributeOf returns the attribute the CTDC layout writes for dimension
// d, or nil when the layout has no column for it (country of
// identification, identification status, child, organisation kind).
func AttributeOf(d casebridgev1.Dimension) *Attribute {
	for _, a := range attributes {
		if a.dim == d {
			return a
		}
	}
	return nil
}

// attributes are the layout's attributes in the order of exportColumns.
var attributes = []*Attribute{
	{casebridgev1.Dimension_DIMENSION_YEAR, []string{colYear}, writeYear},
	{casebridgev1.Dimension_DIMENSION_SEX, []string{colGender}, writeGender},
	{casebridgev1.Dimension_DIMENSION_NATIONALITY, []string{colCitizenship}, writeCitizenship},
	{casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM, []string{colForced, colExploit, colLabor}, writeForms},
	{casebridgev1.Dimension_DIMENSION_AGE_BAND, []string{colAge}, writeAge},
}

func writeYear(c *casebridgev1.CodedAttributes) []string {
	if y := c.GetIdentificationYear(); y != 0 {
		return []string{strconv.Itoa(int(y))}
	}
	return []string{""}
}

func writeGender(c *casebridgev1.CodedAttributes) []string {
	gender, ok := genderWords[c.GetSex()]
	if !ok {
		gender = unknownWord
	}
	return []string{gender}
}

func writeCitizenship(c *casebridgev1.CodedAttributes) []string {
	if n := c.GetNationality(); n != "" {
		return []string{n}
	}
	return []string{unknownCitizenship}
}

// writeForms writes isForcedLabour, ExploitType and Labor_Type from the
// whole set of a case's forms.
func writeForms(c *casebridgev1.CodedAttributes) []string {
	has := map[form]bool{}
	for _, f := range c.GetExploitationForms() {
		if f != casebridgev1.ExploitationForm_EXPLOITATION_FORM_UNSPECIFIED {
			has[f] = true
		}
	}
	labour := has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR] ||
		has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING]
	forced := unknownFlag
	switch {
	case labour:
		forced = "1"
	case len(has) > 0:
		forced = "0"
	}
	exploit := unknownWord
	switch {
	case has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL]:
		exploit = "Sexual Exploitation"
	case has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_MARRIAGE]:
		exploit = "Forced Marriage"
	case has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_OTHER],
		has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_CRIMINALITY],
		has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_ORGAN_REMOVAL],
		has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_SLAVERY]:
		exploit = "Other"
	case labour:
		exploit = "Forced Labor"
	}
	labor := unknownWord
	if has[casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING] {
		labor = "Begging"
	}
	return []string{forced, exploit, labor}
}

func writeAge(c *casebridgev1.CodedAttributes) []string {
	for _, b := range ageBands {
		if b.band == c.GetAgeBand() {
			return []string{b.word}
		}
	}
	return []string{unknownWord}
}
