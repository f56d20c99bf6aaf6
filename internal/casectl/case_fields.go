package casectl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/enumarg"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

// caseField is one attribute of a case that 'cases new' and 'cases update'
// set from a flag (or 'cases new' asks for): its flag, its path in the
// update mask, and how to put a typed value into a Case. One table serves
// both commands, the prompts and the mapping of refused fields to flags.
type caseField struct {
	flag  string
	path  string // update-mask path; the request field is "case." + path
	usage string
	// ask is the interactive question; empty for fields not asked at intake.
	ask string
	// set puts value into c; "" sets the field's zero value (unknown).
	set func(c *casebridgev1.Case, value string) error
}

var caseFields = []caseField{
	{"sex", "coded.sex", "sex: " + choices[casebridgev1.Sex](), "Sex (" + choices[casebridgev1.Sex]() + ")",
		func(c *casebridgev1.Case, v string) (err error) {
			coded(c).Sex, err = enumOrZero[casebridgev1.Sex](v)
			return
		}},
	{"age-band", "coded.age_band", "age band at identification: " + choices[casebridgev1.AgeBand](), "Age band at identification (" + choices[casebridgev1.AgeBand]() + ")",
		func(c *casebridgev1.Case, v string) (err error) {
			coded(c).AgeBand, err = enumOrZero[casebridgev1.AgeBand](v)
			return
		}},
	{"child", "coded.child", "child at identification: child or adult", "Child at identification (child, adult)",
		func(c *casebridgev1.Case, v string) (err error) {
			coded(c).Child, err = enumOrZero[casebridgev1.ChildStatus](v)
			return
		}},
	{"nationality", "coded.nationality", "citizenship, ISO 3166-1 alpha-2 (e.g. UA)", "Nationality (country code, e.g. UA)",
		func(c *casebridgev1.Case, v string) error { coded(c).Nationality = upper(v); return nil }},
	{"country", "coded.country", "country of identification, ISO 3166-1 alpha-2 (e.g. RS)", "Country of identification (country code, e.g. RS)",
		func(c *casebridgev1.Case, v string) error { coded(c).Country = upper(v); return nil }},
	{"year", "coded.identification_year", "year of identification", "Year of identification (e.g. 2026)",
		func(c *casebridgev1.Case, v string) error {
			if v == "" {
				coded(c).IdentificationYear = 0
				return nil
			}
			y, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return fmt.Errorf("%q is not a year", v)
			}
			coded(c).IdentificationYear = int32(y)
			return nil
		}},
	{"forms", "coded.exploitation_forms", "forms of exploitation, comma-separated: " + choices[casebridgev1.ExploitationForm](),
		"Forms of exploitation, comma-separated (" + choices[casebridgev1.ExploitationForm]() + ")",
		func(c *casebridgev1.Case, v string) (err error) {
			coded(c).ExploitationForms, err = enumarg.ParseList[casebridgev1.ExploitationForm](v)
			return
		}},
	{"identification", "coded.identification_status", "identification status: " + choices[casebridgev1.IdentificationStatus](),
		"Identification status (" + choices[casebridgev1.IdentificationStatus]() + ")",
		func(c *casebridgev1.Case, v string) (err error) {
			coded(c).IdentificationStatus, err = enumOrZero[casebridgev1.IdentificationStatus](v)
			return
		}},
	{"given-names", "identity.given_names", "given names (identity class, encrypted)", "Given names",
		func(c *casebridgev1.Case, v string) error { identity(c).GivenNames = v; return nil }},
	{"family-names", "identity.family_names", "family names (identity class, encrypted)", "Family names",
		func(c *casebridgev1.Case, v string) error { identity(c).FamilyNames = v; return nil }},
	{"aliases", "identity.aliases", "other names, comma-separated", "",
		func(c *casebridgev1.Case, v string) error { identity(c).Aliases = splitList(v); return nil }},
	{"dob", "identity.date_of_birth", "date of birth: YYYY, YYYY-MM or YYYY-MM-DD", "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)",
		func(c *casebridgev1.Case, v string) error { identity(c).DateOfBirth = v; return nil }},
	{"phone", "contact.phone", "phone (contact class, encrypted)", "Phone",
		func(c *casebridgev1.Case, v string) error { contact(c).Phone = v; return nil }},
	{"email", "contact.email", "e-mail address", "",
		func(c *casebridgev1.Case, v string) error { contact(c).Email = v; return nil }},
	{"address", "contact.address", "address", "",
		func(c *casebridgev1.Case, v string) error { contact(c).Address = v; return nil }},
	{"location", "contact.current_location", "current location", "",
		func(c *casebridgev1.Case, v string) error { contact(c).CurrentLocation = v; return nil }},
	{"safe-contact", "contact.safe_contact_instructions", "how to reach the person safely", "How to contact safely (times, code words, who must not answer)",
		func(c *casebridgev1.Case, v string) error { contact(c).SafeContactInstructions = v; return nil }},
	{"health", "care.health_notes", "health notes (care class; - reads standard input)", "",
		func(c *casebridgev1.Case, v string) error { care(c).HealthNotes = v; return nil }},
	{"psychosocial", "care.psychosocial_notes", "psychosocial notes (care class; - reads standard input)", "",
		func(c *casebridgev1.Case, v string) error { care(c).PsychosocialNotes = v; return nil }},
	{"needs", "care.needs_assessment", "needs assessment (care class; - reads standard input)", "",
		func(c *casebridgev1.Case, v string) error { care(c).NeedsAssessment = v; return nil }},
	{"account", "legal.exploitation_account", "account of the exploitation (legal class; - reads standard input)", "",
		func(c *casebridgev1.Case, v string) error { legal(c).ExploitationAccount = v; return nil }},
	{"statements", "legal.statements", "statements (legal class; - reads standard input)", "",
		func(c *casebridgev1.Case, v string) error { legal(c).Statements = v; return nil }},
	{"evidence", "legal.evidence_references", "evidence references, comma-separated", "",
		func(c *casebridgev1.Case, v string) error { legal(c).EvidenceReferences = splitList(v); return nil }},
}

// caseFlags holds the values of the case field flags.
type caseFlags map[string]*string

func registerCaseFlags(fs *pflag.FlagSet) caseFlags {
	vals := caseFlags{}
	for _, f := range caseFields {
		vals[f.flag] = fs.String(f.flag, "", f.usage)
	}
	return vals
}

// given lists the case fields whose flags were typed.
func (caseFlags) given(fs *pflag.FlagSet) []caseField {
	var out []caseField
	for _, f := range caseFields {
		if cli.Set(fs, f.flag) {
			out = append(out, f)
		}
	}
	return out
}

// apply sets the given fields on c, reading a "-" value from standard
// input, and returns their update-mask paths.
func (a *app) applyCaseFlags(c *casebridgev1.Case, vals caseFlags, given []caseField) ([]string, error) {
	var paths []string
	stdinUsed := false
	for _, f := range given {
		v := *vals[f.flag]
		if v == "-" {
			if stdinUsed {
				return nil, cli.Usagef("only one flag can read standard input (-)")
			}
			stdinUsed = true
			text, err := a.textArg(v)
			if err != nil {
				return nil, err
			}
			v = text
		}
		if err := f.set(c, v); err != nil {
			return nil, cli.Usagef("--%s: %v", f.flag, err)
		}
		paths = append(paths, f.path)
	}
	return paths, nil
}

// caseFieldHints maps request fields to flags, to name the flag when the
// server refuses a field.
func caseFieldHints() map[string]string {
	hints := map[string]string{"organization_id": "--org"}
	for _, f := range caseFields {
		hints["case."+f.path] = "--" + f.flag
	}
	return hints
}

func enumOrZero[E enumarg.Enum](v string) (E, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	return enumarg.Parse[E](v)
}

func coded(c *casebridgev1.Case) *casebridgev1.CodedAttributes {
	if c.Coded == nil {
		c.Coded = &casebridgev1.CodedAttributes{}
	}
	return c.Coded
}

func identity(c *casebridgev1.Case) *casebridgev1.IdentityData {
	if c.Identity == nil {
		c.Identity = &casebridgev1.IdentityData{}
	}
	return c.Identity
}

func contact(c *casebridgev1.Case) *casebridgev1.ContactData {
	if c.Contact == nil {
		c.Contact = &casebridgev1.ContactData{}
	}
	return c.Contact
}

func care(c *casebridgev1.Case) *casebridgev1.CareData {
	if c.Care == nil {
		c.Care = &casebridgev1.CareData{}
	}
	return c.Care
}

func legal(c *casebridgev1.Case) *casebridgev1.LegalData {
	if c.Legal == nil {
		c.Legal = &casebridgev1.LegalData{}
	}
	return c.Legal
}
