package casectl

import (
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type referralCol = output.Column[*casebridgev1.Referral]

var referralColumns = []referralCol{
	output.Col("id", (*casebridgev1.Referral).GetId),
	output.Col("case", (*casebridgev1.Referral).GetCaseReference),
	output.Col("from", (*casebridgev1.Referral).GetFromOrganizationId),
	output.Col("to", (*casebridgev1.Referral).GetToOrganizationId),
	output.Col("service", func(r *casebridgev1.Referral) string { return enumName(r.GetService()) }),
	output.Col("status", func(r *casebridgev1.Referral) string { return enumName(r.GetStatus()) }),
	output.Col("classes", func(r *casebridgev1.Referral) string { return enumNames(r.GetGrantedClasses()) }),
	output.Col("updated", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetUpdateTime()) }),
	output.ScriptCol("case_id", (*casebridgev1.Referral).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Referral).GetEtag),
}

var referralDetail = []referralCol{
	output.Col("ID", (*casebridgev1.Referral).GetId),
	output.Col("Case", (*casebridgev1.Referral).GetCaseReference),
	output.Col("From", (*casebridgev1.Referral).GetFromOrganizationId),
	output.Col("To", (*casebridgev1.Referral).GetToOrganizationId),
	output.Col("Service", func(r *casebridgev1.Referral) string { return enumName(r.GetService()) }),
	output.Col("Purpose", func(r *casebridgev1.Referral) string { return enumName(r.GetPurpose()) }),
	output.Col("Status", func(r *casebridgev1.Referral) string { return enumName(r.GetStatus()) }),
	output.Col("Shares", func(r *casebridgev1.Referral) string { return enumNames(r.GetGrantedClasses()) }),
	output.Col("Message", (*casebridgev1.Referral).GetMessage),
	output.Col("Declined because", (*casebridgev1.Referral).GetDeclineReason),
	output.Col("Ended because", (*casebridgev1.Referral).GetEndReason),
	output.Col("Sex", func(r *casebridgev1.Referral) string { return enumName(r.GetCoded().GetSex()) }),
	output.Col("Age band", func(r *casebridgev1.Referral) string { return enumName(r.GetCoded().GetAgeBand()) }),
	output.Col("Nationality", func(r *casebridgev1.Referral) string { return r.GetCoded().GetNationality() }),
	output.Col("Forms", func(r *casebridgev1.Referral) string { return enumNames(r.GetCoded().GetExploitationForms()) }),
	output.Col("Consent", (*casebridgev1.Referral).GetConsentId),
	output.Col("Referred by", (*casebridgev1.Referral).GetCreatedBy),
	output.Col("Created", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetCreateTime()) }),
	output.Col("Accepted", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetAcceptTime()) }),
	output.Col("Declined", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetDeclineTime()) }),
	output.Col("Completed", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetCompleteTime()) }),
	output.Col("Withdrawn", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetWithdrawTime()) }),
	output.Col("Revoked", func(r *casebridgev1.Referral) string { return datetime.Local(r.GetRevokeTime()) }),
	output.ScriptCol("case_id", (*casebridgev1.Referral).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Referral).GetEtag),
}

type eventCol = output.Column[*casebridgev1.ReferralEvent]

// eventColumns show one referral event per line: status only, never
// sensitive data, like the events themselves.
var eventColumns = []eventCol{
	output.Col("time", func(e *casebridgev1.ReferralEvent) string { return datetime.Local(e.GetEventTime()) }),
	output.Col("event", func(e *casebridgev1.ReferralEvent) string { return enumName(e.GetType()) }),
	output.Col("referral", func(e *casebridgev1.ReferralEvent) string { return e.GetReferral().GetId() }),
	output.Col("from", func(e *casebridgev1.ReferralEvent) string { return e.GetReferral().GetFromOrganizationId() }),
	output.Col("to", func(e *casebridgev1.ReferralEvent) string { return e.GetReferral().GetToOrganizationId() }),
	output.Col("service", func(e *casebridgev1.ReferralEvent) string { return enumName(e.GetReferral().GetService()) }),
	output.Col("status", func(e *casebridgev1.ReferralEvent) string { return enumName(e.GetReferral().GetStatus()) }),
	output.Col("case", (*casebridgev1.ReferralEvent).GetCaseReference),
	output.ScriptCol("case_id", (*casebridgev1.ReferralEvent).GetCaseId),
	output.Col("case_status", func(e *casebridgev1.ReferralEvent) string { return enumName(e.GetCaseStatus()) }),
	output.ScriptCol("cursor", (*casebridgev1.ReferralEvent).GetCursor),
}

type orgCol = output.Column[*casebridgev1.Organization]

var orgColumns = []orgCol{
	output.Col("id", (*casebridgev1.Organization).GetId),
	output.Col("name", (*casebridgev1.Organization).GetDisplayName),
	output.Col("kind", func(o *casebridgev1.Organization) string { return enumName(o.GetKind()) }),
	output.Col("country", (*casebridgev1.Organization).GetCountryCode),
}
