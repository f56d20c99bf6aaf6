package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// intakeData is the intake form: what was typed (kept on a refusal so
// nothing is lost), the request id that makes a retry return the same
// case, and per field the message id of its problem.
type intakeData struct {
	RequestID string
	V         map[string]string
	Forms     map[string]bool
	Errors    map[string]string

	Sexes    []casebridgev1.Sex
	Ages     []casebridgev1.AgeBand
	Children []casebridgev1.ChildStatus
	IDs      []casebridgev1.IdentificationStatus
	AllForms []casebridgev1.ExploitationForm
}

func newIntake() *intakeData {
	return &intakeData{RequestID: uuid.NewString(), V: map[string]string{}, Forms: map[string]bool{}, Errors: map[string]string{},
		Sexes:    enumValues[casebridgev1.Sex](casebridgev1.Sex_name),
		Ages:     enumValues[casebridgev1.AgeBand](casebridgev1.AgeBand_name),
		Children: enumValues[casebridgev1.ChildStatus](casebridgev1.ChildStatus_name),
		IDs:      enumValues[casebridgev1.IdentificationStatus](casebridgev1.IdentificationStatus_name),
		AllForms: exploitationForms()}
}

// enumValues lists an enum's values in number order, unspecified first.
func enumValues[E ~int32](names map[int32]string) []E {
	out := make([]E, 0, len(names))
	for i := int32(0); int(i) < len(names); i++ {
		if _, ok := names[i]; ok {
			out = append(out, E(i))
		}
	}
	return out
}

// The intake form's text fields, by class; each form field is named after
// its proto field, so the server's field violations map onto it.
var (
	identityFields = []string{"given_names", "family_names", "aliases", "date_of_birth"}
	contactFields  = []string{"phone", "email", "address", "current_location", "safe_contact_instructions"}
	careFields     = []string{"health_notes", "psychosocial_notes", "needs_assessment"}
	legalFields    = []string{"exploitation_account", "statements", "evidence_references"}
	codedFields    = []string{"sex", "age_band", "child", "nationality", "country", "identification_year", "identification_status"}
)

func (s *Server) handleIntakeForm(w http.ResponseWriter, q *Request) {
	s.render(w, q, http.StatusOK, "intake", "title.intake", newIntake())
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// handleIntake opens the case. The form carries the request id it was
// rendered with, so a retried post (a double click, a reload after a lost
// answer) returns the case the first one made, and never a second case.
func (s *Server) handleIntake(w http.ResponseWriter, q *Request) {
	d := newIntake()
	if rid := q.PostFormValue("request_id"); requestIDPattern.MatchString(rid) {
		d.RequestID = rid
	}
	for _, f := range append(append(append(append(append([]string{}, codedFields...), identityFields...), contactFields...), careFields...), legalFields...) {
		d.V[f] = strings.TrimSpace(q.PostFormValue(f))
	}
	for _, f := range q.PostForm["exploitation_forms"] {
		d.Forms[f] = true
	}
	c := &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{
		Sex:                  casebridgev1.Sex(casebridgev1.Sex_value[d.V["sex"]]),
		AgeBand:              casebridgev1.AgeBand(casebridgev1.AgeBand_value[d.V["age_band"]]),
		Child:                casebridgev1.ChildStatus(casebridgev1.ChildStatus_value[d.V["child"]]),
		Nationality:          strings.ToUpper(d.V["nationality"]),
		Country:              strings.ToUpper(d.V["country"]),
		IdentificationStatus: casebridgev1.IdentificationStatus(casebridgev1.IdentificationStatus_value[d.V["identification_status"]]),
	}}
	if y := d.V["identification_year"]; y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			d.Errors["identification_year"] = "error.field_year"
		}
		c.Coded.IdentificationYear = int32(n)
	}
	for _, f := range d.AllForms {
		if d.Forms[f.String()] {
			c.Coded.ExploitationForms = append(c.Coded.ExploitationForms, f)
		}
	}
	if anyFilled(d.V, identityFields) {
		c.Identity = &casebridgev1.IdentityData{GivenNames: d.V["given_names"], FamilyNames: d.V["family_names"],
			Aliases: lines(d.V["aliases"]), DateOfBirth: d.V["date_of_birth"]}
	}
	if anyFilled(d.V, contactFields) {
		c.Contact = &casebridgev1.ContactData{Phone: d.V["phone"], Email: d.V["email"], Address: d.V["address"],
			CurrentLocation: d.V["current_location"], SafeContactInstructions: d.V["safe_contact_instructions"]}
	}
	if anyFilled(d.V, careFields) {
		c.Care = &casebridgev1.CareData{HealthNotes: d.V["health_notes"], PsychosocialNotes: d.V["psychosocial_notes"], NeedsAssessment: d.V["needs_assessment"]}
	}
	if anyFilled(d.V, legalFields) {
		c.Legal = &casebridgev1.LegalData{ExploitationAccount: d.V["exploitation_account"], Statements: d.V["statements"],
			EvidenceReferences: lines(d.V["evidence_references"])}
	}
	if len(d.Errors) > 0 {
		s.renderIntakeProblem(w, q, d, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	resp, err := s.api.cases.CreateCase(q.Ctx, &casebridgev1.CreateCaseRequest{Case: c, RequestId: d.RequestID, OrganizationId: q.S.Org})
	if err != nil {
		e := explain(err, protoField)
		for k, v := range e.Fields {
			d.Errors[k] = v
		}
		s.renderIntakeProblem(w, q, d, e.Status, e.Key)
		return
	}
	redirect(w, q.Request, "/cases/"+resp.GetCase().GetId(), "flash.case_created")
}

func (s *Server) renderIntakeProblem(w http.ResponseWriter, q *Request, d *intakeData, status int, key string) {
	p := s.page(q, "title.intake", d)
	p.Error = q.L.T(key)
	s.renderPage(w, status, "intake", p)
}

// protoField is the form field of a server field path: its last element,
// without an index ("case.coded.exploitation_forms[0]" → exploitation_forms).
func protoField(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.Index(path, "["); i >= 0 {
		path = path[:i]
	}
	return path
}

func anyFilled(v map[string]string, fields []string) bool {
	for _, f := range fields {
		if v[f] != "" {
			return true
		}
	}
	return false
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Value is what was typed in field name.
func (d *intakeData) Value(name string) string { return d.V[name] }

// Problem is the message id of field name's problem.
func (d *intakeData) Problem(name string) string { return d.Errors[name] }
