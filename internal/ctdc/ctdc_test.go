package ctdc

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/ctdc/synth"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const header = "yearOfRegistration,Datasource,gender,citizenship,isForcedLabour,ControlCategory,RecruiterCategory,ExploitType,Labor_Type,ageCategories\n"

type (
	forms = []casebridgev1.ExploitationForm
)

const (
	female     = casebridgev1.Sex_SEX_FEMALE
	male       = casebridgev1.Sex_SEX_MALE
	otherSex   = casebridgev1.Sex_SEX_OTHER
	child      = casebridgev1.ChildStatus_CHILD_STATUS_CHILD
	adult      = casebridgev1.ChildStatus_CHILD_STATUS_ADULT
	identified = casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED
	presumed   = casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED
	sexual     = casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL
	labour     = casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR
	marriage   = casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_MARRIAGE
	begging    = casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING
	otherForm  = casebridgev1.ExploitationForm_EXPLOITATION_FORM_OTHER
	criminal   = casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_CRIMINALITY
)

// readOne reads a file made of the header and one data line.
func readOne(t *testing.T, line string) *casebridgev1.ImportRow {
	t.Helper()
	r, err := NewReader(strings.NewReader(header + line + "\n"))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	row, err := r.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("second Next: want io.EOF, got %v", err)
	}
	return row
}

func TestCTDCMapping(t *testing.T) {
	tests := []struct {
		name string
		line string
		want *casebridgev1.CodedAttributes
	}{
		{"case management forced labour",
			"2012,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			&casebridgev1.CodedAttributes{Sex: female, AgeBand: casebridgev1.AgeBand_AGE_BAND_30_38, Child: adult,
				Nationality: "LK", IdentificationYear: 2012, ExploitationForms: forms{labour}, IdentificationStatus: identified}},
		{"hotline sexual exploitation, unknown citizenship",
			"2017,Hotline,Female,0,0,Other,Not Specified,Sexual Exploitation,Unknown,Age 9-17",
			&casebridgev1.CodedAttributes{Sex: female, AgeBand: casebridgev1.AgeBand_AGE_BAND_9_17, Child: child,
				IdentificationYear: 2017, ExploitationForms: forms{sexual}, IdentificationStatus: presumed}},
		{"begging adds its own form",
			"2016,Case Management,Male,UA,1,Physical,Other,Forced Labor,Begging,Age 0-8",
			&casebridgev1.CodedAttributes{Sex: male, AgeBand: casebridgev1.AgeBand_AGE_BAND_0_8, Child: child,
				Nationality: "UA", IdentificationYear: 2016, ExploitationForms: forms{labour, begging}, IdentificationStatus: identified}},
		{"other with forced labour flag",
			"2015,Case Management,Male,KH,1,Other,Other,Other,Other,Age 48+",
			&casebridgev1.CodedAttributes{Sex: male, AgeBand: casebridgev1.AgeBand_AGE_BAND_48_PLUS, Child: adult,
				Nationality: "KH", IdentificationYear: 2015, ExploitationForms: forms{otherForm, labour}, IdentificationStatus: identified}},
		{"forced marriage, flag unknown",
			"2014,Case Management,Female,MM,-99,Other,Family/Relative,Forced Marriage,Unknown,Age 18-20",
			&casebridgev1.CodedAttributes{Sex: female, AgeBand: casebridgev1.AgeBand_AGE_BAND_18_20, Child: adult,
				Nationality: "MM", IdentificationYear: 2014, ExploitationForms: forms{marriage}, IdentificationStatus: identified}},
		{"transgender",
			"2018,Hotline,Transgender,US,0,Other,Other,Sexual Exploitation,Unknown,Age 21-23",
			&casebridgev1.CodedAttributes{Sex: otherSex, AgeBand: casebridgev1.AgeBand_AGE_BAND_21_23, Child: adult,
				Nationality: "US", IdentificationYear: 2018, ExploitationForms: forms{sexual}, IdentificationStatus: presumed}},
		{"other gender, lower case and spaces",
			" 2018 , hotline ,  other , us ,0,Other,Other, sexual  exploitation ,Unknown, age 24-26 ",
			&casebridgev1.CodedAttributes{Sex: otherSex, AgeBand: casebridgev1.AgeBand_AGE_BAND_24_26, Child: adult,
				Nationality: "US", IdentificationYear: 2018, ExploitationForms: forms{sexual}, IdentificationStatus: presumed}},
		{"forced labour twice is listed once",
			"2016,Case Management,Male,BY,1,Threats,Other,Forced Labor,Construction,Age 27-29",
			&casebridgev1.CodedAttributes{Sex: male, AgeBand: casebridgev1.AgeBand_AGE_BAND_27_29, Child: adult,
				Nationality: "BY", IdentificationYear: 2016, ExploitationForms: forms{labour}, IdentificationStatus: identified}},
		{"everything unknown",
			",,Unknown,0,-99,,,Unknown,Unknown,Unknown",
			&casebridgev1.CodedAttributes{}},
		{"everything empty",
			",,,,,,,,,",
			&casebridgev1.CodedAttributes{}},
		{"-99 everywhere",
			"-99,-99,-99,-99,-99,-99,-99,-99,-99,-99",
			&casebridgev1.CodedAttributes{}},
		{"age 39-47",
			"2013,Case Management,Male,NG,1,Financial,Other,Forced Labor,Agriculture,Age 39-47",
			&casebridgev1.CodedAttributes{Sex: male, AgeBand: casebridgev1.AgeBand_AGE_BAND_39_47, Child: adult,
				Nationality: "NG", IdentificationYear: 2013, ExploitationForms: forms{labour}, IdentificationStatus: identified}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := readOne(t, tt.line)
			if row.GetParseError() != "" {
				t.Fatalf("parse error: %s", row.GetParseError())
			}
			if row.GetLine() != 2 {
				t.Errorf("line %d, want 2", row.GetLine())
			}
			if !proto.Equal(row.GetCoded(), tt.want) {
				t.Errorf("coded:\n got %v\nwant %v", row.GetCoded(), tt.want)
			}
		})
	}
}

func TestCTDCParseErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string // substrings of the reason
	}{
		{"too few fields", "2012,Case Management,Female,LK,1,Threats,Other,Forced Labor,Age 30-38",
			[]string{"has 9 fields, the header has 10"}},
		{"too many fields", "2012,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38,x",
			[]string{"has 11 fields, the header has 10"}},
		{"year not a number", "20x2,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`yearOfRegistration: "20x2" is not a year`}},
		{"year out of int32", "99999999999,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`yearOfRegistration: "99999999999" is not a year`}},
		{"unknown age band", "2012,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 5-9",
			[]string{`ageCategories: unknown age band "Age 5-9"`}},
		{"unknown gender", "2012,Case Management,Femme,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`gender: unknown gender "Femme"`}},
		{"unknown source", "2012,Police,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`Datasource: unknown source "Police"`}},
		{"citizenship not a code", "2012,Case Management,Female,Sri Lanka,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`citizenship: "Sri Lanka" is not an ISO 3166-1 alpha-2 country code`}},
		{"bad flag", "2012,Case Management,Female,LK,yes,Threats,Other,Forced Labor,Domestic Work,Age 30-38",
			[]string{`isForcedLabour: "yes" is not 1, 0 or -99`}},
		{"unknown exploitation", "2012,Case Management,Female,LK,1,Threats,Other,Organ Removal,Domestic Work,Age 30-38",
			[]string{`ExploitType: unknown exploitation type "Organ Removal"`}},
		{"several problems at once", "20x2,Case Management,Femme,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 5-9",
			[]string{"yearOfRegistration:", "gender:", "ageCategories:"}},
		{"bare quote", `2012,Case Management,Fe"male,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38`,
			[]string{"malformed CSV", `bare "`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := readOne(t, tt.line)
			if row.GetLine() != 2 {
				t.Errorf("line %d, want 2", row.GetLine())
			}
			if row.GetCoded() != nil {
				t.Errorf("a row with a parse error carries coded attributes %v", row.GetCoded())
			}
			for _, w := range tt.want {
				if !strings.Contains(row.GetParseError(), w) {
					t.Errorf("parse error %q does not contain %q", row.GetParseError(), w)
				}
			}
		})
	}
}

// TestBadLineKeepsGoing checks that a bad line in the middle is reported with
// its own line number and the lines after it are still read.
func TestCTDCBadLineKeepsGoing(t *testing.T) {
	in := header +
		"2012,Case Management,Female,LK,1,Threats,Other,Forced Labor,Domestic Work,Age 30-38\n" + // line 2
		"2012,Case Management,Female,LK,1,Threats\n" + // line 3: too few fields
		"\"2013\",Hotline,Male,US,0,Other,\"Other,\nspanning\",Sexual Exploitation,Unknown,Age 9-17\n" + // lines 4-5
		"abc,Hotline,Male,US,0,Other,Other,Sexual Exploitation,Unknown,Age 9-17\n" + // line 6: bad year
		"2014,Hotline,Male,US,0,Other,Other,Sexual Exploitation,Unknown,Age 9-17\r\n" // line 7
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		line int64
		bad  bool
	}
	want := []got{{2, false}, {3, true}, {4, false}, {6, true}, {7, false}}
	for i, w := range want {
		row, err := r.Next()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if row.GetLine() != w.line || (row.GetParseError() != "") != w.bad {
			t.Errorf("row %d: line %d parse error %q, want line %d bad=%v", i, row.GetLine(), row.GetParseError(), w.line, w.bad)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want io.EOF, got %v", err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("io.EOF again, got %v", err)
	}
}

func TestCTDCParseErrorIsBounded(t *testing.T) {
	long := strings.Repeat("é", 300)
	row := readOne(t, "20x2,"+long+","+long+","+long+",9,,,"+long+",,"+long)
	if n := len(row.GetParseError()); n == 0 || n > maxParseError {
		t.Fatalf("parse error of %d bytes, want 1..%d", n, maxParseError)
	}
	if !strings.HasPrefix(row.GetParseError(), "yearOfRegistration:") {
		t.Fatalf("parse error %q", row.GetParseError())
	}
	if !strings.Contains(row.GetParseError(), "…") || strings.Contains(row.GetParseError(), "\uFFFD") {
		t.Fatalf("parse error not cut cleanly: %q", row.GetParseError())
	}
}

func TestCTDCHeader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // substrings of the error; nil: no error
	}{
		{"full header", header, nil},
		{"byte order mark", "\uFEFF" + header, nil},
		{"other order, dropped columns absent, extra column",
			"ageCategories,Labor_Type,ExploitType,isForcedLabour,citizenship,gender,Datasource,yearOfRegistration,note\n", nil},
		{"case and spaces", "YearOfRegistration, datasource ,Gender,Citizenship,IsForcedLabour,ExploitType,labor_type,AgeCategories\n", nil},
		{"empty input", "", []string{"empty input"}},
		{"missing columns", "yearOfRegistration,Datasource,gender,isForcedLabour,ControlCategory,RecruiterCategory,Labor_Type\n",
			[]string{"lacks column(s) citizenship, ExploitType, ageCategories"}},
		{"not a CTDC file", "name,age\n", []string{"lacks column(s) yearOfRegistration, Datasource, gender"}},
		{"duplicate", "gender," + header, []string{`column "gender" appears twice`}},
		{"malformed", "a,\"b\n", []string{"read header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.in))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("NewReader: %v", err)
				}
				if _, err := r.Next(); !errors.Is(err, io.EOF) {
					t.Fatalf("Next on a file without data: want io.EOF, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("NewReader accepted the header")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestCTDCReadErrorIsAnError(t *testing.T) {
	r, err := NewReader(io.MultiReader(strings.NewReader(header), failingReader{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("want the read error, got %v", err)
	}
}

func TestCTDCRecord(t *testing.T) {
	if got := strings.Join(Columns(), ","); got != "yearOfRegistration,gender,citizenship,isForcedLabour,ExploitType,Labor_Type,ageCategories" {
		t.Fatalf("Columns() = %s", got)
	}
	tests := []struct {
		name string
		in   *casebridgev1.CodedAttributes
		want string
	}{
		{"nil", nil, ",Unknown,0,-99,Unknown,Unknown,Unknown"},
		{"empty", &casebridgev1.CodedAttributes{}, ",Unknown,0,-99,Unknown,Unknown,Unknown"},
		{"sexual exploitation of a girl",
			&casebridgev1.CodedAttributes{Sex: female, AgeBand: casebridgev1.AgeBand_AGE_BAND_9_17, Child: child,
				Nationality: "UA", Country: "RS", IdentificationYear: 2025, ExploitationForms: forms{sexual}},
			"2025,Female,UA,0,Sexual Exploitation,Unknown,Age 9-17"},
		{"begging alone is forced labour in CTDC",
			&casebridgev1.CodedAttributes{Sex: male, AgeBand: casebridgev1.AgeBand_AGE_BAND_0_8, ExploitationForms: forms{begging}},
			",Male,0,1,Forced Labor,Begging,Age 0-8"},
		{"other and forced labour",
			&casebridgev1.CodedAttributes{Sex: otherSex, AgeBand: casebridgev1.AgeBand_AGE_BAND_48_PLUS, ExploitationForms: forms{labour, otherForm}},
			",Transgender,0,1,Other,Unknown,Age 48+"},
		{"criminality is Other",
			&casebridgev1.CodedAttributes{ExploitationForms: forms{criminal}},
			",Unknown,0,0,Other,Unknown,Unknown"},
		{"marriage before other",
			&casebridgev1.CodedAttributes{ExploitationForms: forms{otherForm, marriage}},
			",Unknown,0,0,Forced Marriage,Unknown,Unknown"},
		{"sexual before marriage, with forced labour",
			&casebridgev1.CodedAttributes{ExploitationForms: forms{marriage, labour, sexual}},
			",Unknown,0,1,Sexual Exploitation,Unknown,Unknown"},
		{"child without band",
			&casebridgev1.CodedAttributes{Child: child, IdentificationYear: 2019},
			"2019,Unknown,0,-99,Unknown,Unknown,Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Record(tt.in)
			if len(rec) != len(Columns()) {
				t.Fatalf("Record has %d values for %d columns", len(rec), len(Columns()))
			}
			if got := strings.Join(rec, ","); got != tt.want {
				t.Errorf("Record = %s\n    want %s", got, tt.want)
			}
		})
	}
}

// TestCTDCGeneratedFile reads a whole generated CTDC-layout file: every
// line maps, and what Record writes reads back to the same coded attributes.
func TestCTDCGeneratedFile(t *testing.T) {
	var b bytes.Buffer
	if err := synth.Write(&b, synth.DefaultRows, synth.DefaultSeed); err != nil {
		t.Fatal(err)
	}
	want := map[casebridgev1.Sex]int{}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		switch strings.Split(l, ",")[2] {
		case "Female":
			want[female]++
		case "Male":
			want[male]++
		}
	}
	readWholeFile(t, bytes.NewReader(b.Bytes()), synth.DefaultRows, want)
}

// TestCTDCPublishedFile does the same over the published CTDC-derived file
// named by CASEBRIDGE_CTDC_FILE (.ci/run sets it), with its known figures.
func TestCTDCPublishedFile(t *testing.T) {
	path := os.Getenv("CASEBRIDGE_CTDC_FILE")
	if path == "" {
		t.Log("NOT RUN: CASEBRIDGE_CTDC_FILE is not set, so the published CTDC file was not checked (the generated file was)")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("CASEBRIDGE_CTDC_FILE: %v", err)
	}
	defer f.Close()
	readWholeFile(t, f, 14299, map[casebridgev1.Sex]int{female: 12460, male: 1839})
}

// readWholeFile reads a CTDC file of wantRows rows with the given sexes,
// checks each row is fully known, and round-trips every row through Record.
func readWholeFile(t *testing.T, in io.Reader, wantRows int, wantSexes map[casebridgev1.Sex]int) {
	t.Helper()
	r, err := NewReader(in)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}

	// Round trip through a file with the export columns and Datasource.
	var out strings.Builder
	w := csv.NewWriter(&out)
	if err := w.Write(append(Columns(), "Datasource")); err != nil {
		t.Fatal(err)
	}
	sources := map[casebridgev1.IdentificationStatus]string{identified: "Case Management", presumed: "Hotline"}

	var rows []*casebridgev1.CodedAttributes
	sexes := map[casebridgev1.Sex]int{}
	for want := int64(2); ; want++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if row.GetParseError() != "" {
			t.Fatalf("line %d: %s", row.GetLine(), row.GetParseError())
		}
		if row.GetLine() != want {
			t.Fatalf("line %d, want %d", row.GetLine(), want)
		}
		c := row.GetCoded()
		if c.GetIdentificationYear() < 2012 || c.GetIdentificationYear() > 2018 || c.GetIdentificationStatus() == 0 ||
			c.GetSex() == 0 || c.GetAgeBand() == 0 || c.GetChild() == 0 || len(c.GetExploitationForms()) == 0 {
			t.Fatalf("line %d: unexpectedly unknown attribute in %v", row.GetLine(), c)
		}
		rows = append(rows, c)
		sexes[c.GetSex()]++
		if err := w.Write(append(Record(c), sources[c.GetIdentificationStatus()])); err != nil {
			t.Fatal(err)
		}
	}
	if len(rows) != wantRows {
		t.Fatalf("read %d rows, want %d", len(rows), wantRows)
	}
	if !maps.Equal(sexes, wantSexes) {
		t.Fatalf("sexes %v, want %v", sexes, wantSexes)
	}
	w.Flush()

	back, err := NewReader(strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("reading Record's output: %v", err)
	}
	for i, want := range rows {
		row, err := back.Next()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if row.GetParseError() != "" || !proto.Equal(row.GetCoded(), want) {
			t.Fatalf("row %d: Record then read gave %v (%s), want %v", i, row.GetCoded(), row.GetParseError(), want)
		}
	}
}
