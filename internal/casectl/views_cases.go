package casectl

import (
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type caseCol = output.Column[*casebridgev1.Case]

var caseListColumns = []caseCol{
	output.Col("reference", (*casebridgev1.Case).GetReference),
	output.Col("status", func(c *casebridgev1.Case) string { return enumName(c.GetStatus()) }),
	output.Col("organisation", (*casebridgev1.Case).GetOrganizationId),
	output.Col("assigned", (*casebridgev1.Case).GetAssignedCaseworker),
	output.Col("sex", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetSex()) }),
	output.Col("age", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetAgeBand()) }),
	output.Col("nationality", func(c *casebridgev1.Case) string { return c.GetCoded().GetNationality() }),
	output.Col("forms", func(c *casebridgev1.Case) string { return enumNames(c.GetCoded().GetExploitationForms()) }),
	output.Col("updated", func(c *casebridgev1.Case) string { return datetime.Day(c.GetUpdateTime()) }),
	output.ScriptCol("id", (*casebridgev1.Case).GetId),
}

// caseDetail is every field of a case the caller may read, one per line.
var caseDetail = []caseCol{
	output.Col("Reference", (*casebridgev1.Case).GetReference),
	output.Col("ID", (*casebridgev1.Case).GetId),
	output.Col("Organisation", (*casebridgev1.Case).GetOrganizationId),
	output.Col("Status", func(c *casebridgev1.Case) string { return enumName(c.GetStatus()) }),
	output.Col("Assigned to", (*casebridgev1.Case).GetAssignedCaseworker),
	output.Col("Sex", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetSex()) }),
	output.Col("Age band", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetAgeBand()) }),
	output.Col("Child", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetChild()) }),
	output.Col("Nationality", func(c *casebridgev1.Case) string { return c.GetCoded().GetNationality() }),
	output.Col("Country", func(c *casebridgev1.Case) string { return c.GetCoded().GetCountry() }),
	output.Col("Identified in", func(c *casebridgev1.Case) string { return nonZero(c.GetCoded().GetIdentificationYear()) }),
	output.Col("Forms", func(c *casebridgev1.Case) string { return enumNames(c.GetCoded().GetExploitationForms()) }),
	output.Col("Identification", func(c *casebridgev1.Case) string { return enumName(c.GetCoded().GetIdentificationStatus()) }),
	output.Col("Given names", func(c *casebridgev1.Case) string { return c.GetIdentity().GetGivenNames() }),
	output.Col("Family names", func(c *casebridgev1.Case) string { return c.GetIdentity().GetFamilyNames() }),
	output.Col("Aliases", func(c *casebridgev1.Case) string { return strings.Join(c.GetIdentity().GetAliases(), ", ") }),
	output.Col("Date of birth", func(c *casebridgev1.Case) string { return c.GetIdentity().GetDateOfBirth() }),
	output.Col("Documents", documents),
	output.Col("Phone", func(c *casebridgev1.Case) string { return c.GetContact().GetPhone() }),
	output.Col("Email", func(c *casebridgev1.Case) string { return c.GetContact().GetEmail() }),
	output.Col("Address", func(c *casebridgev1.Case) string { return c.GetContact().GetAddress() }),
	output.Col("Location", func(c *casebridgev1.Case) string { return c.GetContact().GetCurrentLocation() }),
	output.Col("Safe contact", func(c *casebridgev1.Case) string { return c.GetContact().GetSafeContactInstructions() }),
	output.Col("Health", func(c *casebridgev1.Case) string { return c.GetCare().GetHealthNotes() }),
	output.Col("Psychosocial", func(c *casebridgev1.Case) string { return c.GetCare().GetPsychosocialNotes() }),
	output.Col("Needs", func(c *casebridgev1.Case) string { return c.GetCare().GetNeedsAssessment() }),
	output.Col("Account", func(c *casebridgev1.Case) string { return c.GetLegal().GetExploitationAccount() }),
	output.Col("Statements", func(c *casebridgev1.Case) string { return c.GetLegal().GetStatements() }),
	output.Col("Evidence", func(c *casebridgev1.Case) string { return strings.Join(c.GetLegal().GetEvidenceReferences(), "\n") }),
	output.Col("Not shown", func(c *casebridgev1.Case) string { return enumNames(c.GetRedactedClasses()) }),
	output.Col("Erased", func(c *casebridgev1.Case) string { return yesNo(c.GetErased()) }),
	output.Col("Created", func(c *casebridgev1.Case) string { return datetime.Local(c.GetCreateTime()) }),
	output.Col("Updated", func(c *casebridgev1.Case) string { return datetime.Local(c.GetUpdateTime()) }),
	output.Col("Closed", func(c *casebridgev1.Case) string { return datetime.Local(c.GetCloseTime()) }),
	output.ScriptCol("etag", (*casebridgev1.Case).GetEtag),
}

func documents(c *casebridgev1.Case) string {
	var lines []string
	for _, d := range c.GetIdentity().GetDocuments() {
		parts := []string{d.GetKind(), d.GetNumber(), d.GetIssuingCountry()}
		if d.GetExpiryDate() != "" {
			parts = append(parts, "expires "+d.GetExpiryDate())
		}
		lines = append(lines, strings.Join(nonEmpty(parts), " "))
	}
	return strings.Join(lines, "\n")
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

type consentCol = output.Column[*casebridgev1.Consent]

var consentColumns = []consentCol{
	output.Col("id", (*casebridgev1.Consent).GetId),
	output.Col("purpose", func(c *casebridgev1.Consent) string { return enumName(c.GetPurpose()) }),
	output.Col("decision", func(c *casebridgev1.Consent) string { return enumName(c.GetDecision()) }),
	output.Col("recipient", consentRecipient),
	output.Col("state", func(c *casebridgev1.Consent) string { return enumName(c.GetState()) }),
	output.Col("given", func(c *casebridgev1.Consent) string { return datetime.Day(c.GetGivenTime()) }),
	output.Col("expires", func(c *casebridgev1.Consent) string { return datetime.Day(c.GetExpireTime()) }),
	output.Col("method", (*casebridgev1.Consent).GetMethod),
	output.ScriptCol("recorded_by", (*casebridgev1.Consent).GetRecordedBy),
}

func consentRecipient(c *casebridgev1.Consent) string {
	switch r := c.GetRecipient().(type) {
	case *casebridgev1.Consent_OrganizationId:
		return r.OrganizationId
	case *casebridgev1.Consent_OrganizationKind:
		return "any " + enumName(r.OrganizationKind)
	}
	return ""
}

type noteCol = output.Column[*casebridgev1.Note]

var noteColumns = []noteCol{
	output.Col("created", func(n *casebridgev1.Note) string { return datetime.Local(n.GetCreateTime()) }),
	output.Col("class", func(n *casebridgev1.Note) string { return enumName(n.GetDataClass()) }),
	output.Col("author", (*casebridgev1.Note).GetAuthor),
	output.Col("text", (*casebridgev1.Note).GetText),
	output.ScriptCol("id", (*casebridgev1.Note).GetId),
}
