package casectl

import (
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/money"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type claimCol = output.Column[*casebridgev1.Claim]

var claimColumns = []claimCol{
	output.Col("id", (*casebridgev1.Claim).GetId),
	output.Col("case", (*casebridgev1.Claim).GetCaseReference),
	output.Col("type", func(c *casebridgev1.Claim) string { return enumName(c.GetType()) }),
	output.Col("status", func(c *casebridgev1.Claim) string { return enumName(c.GetStatus()) }),
	output.Col("against", claimParty),
	output.Col("claimed", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountClaimed()) }),
	output.Col("awarded", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountAwarded()) }),
	output.Col("paid", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountPaid()) }),
	output.Col("outstanding", outstanding),
	output.ScriptCol("case_id", (*casebridgev1.Claim).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Claim).GetEtag),
}

var claimDetail = []claimCol{
	output.Col("ID", (*casebridgev1.Claim).GetId),
	output.Col("Case", (*casebridgev1.Claim).GetCaseReference),
	output.ScriptCol("case_id", (*casebridgev1.Claim).GetCaseId),
	output.Col("Proceeding", (*casebridgev1.Claim).GetProceedingId),
	output.Col("Type", func(c *casebridgev1.Claim) string { return enumName(c.GetType()) }),
	output.Col("Status", func(c *casebridgev1.Claim) string { return enumName(c.GetStatus()) }),
	output.Col("Against", claimParty),
	output.Col("Claimed", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountClaimed()) }),
	output.Col("Awarded", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountAwarded()) }),
	output.Col("Paid", func(c *casebridgev1.Claim) string { return money.Format(c.GetAmountPaid()) }),
	output.Col("Outstanding", outstanding),
	output.Col("Filed", (*casebridgev1.Claim).GetFiledDate),
	output.Col("Decided", (*casebridgev1.Claim).GetDecisionDate),
	output.Col("Reason", (*casebridgev1.Claim).GetStatusReason),
	output.Col("Created by", (*casebridgev1.Claim).GetCreatedBy),
	output.Col("Updated", func(c *casebridgev1.Claim) string { return datetime.Local(c.GetUpdateTime()) }),
	output.ScriptCol("etag", (*casebridgev1.Claim).GetEtag),
}

func claimParty(c *casebridgev1.Claim) string { return party(c.GetRespondent()) }

func party(p *casebridgev1.ClaimParty) string {
	kind, name := enumName(p.GetKind()), p.GetName()
	switch {
	case kind != "" && name != "":
		return kind + ": " + name
	default:
		return kind + name
	}
}

// outstanding is what is awarded and not yet paid: the gap monitoring
// networks report. Empty before an award.
func outstanding(c *casebridgev1.Claim) string {
	aw := c.GetAmountAwarded()
	if aw == nil {
		return ""
	}
	paid := c.GetAmountPaid().GetAmountMinor()
	if c.GetAmountPaid() != nil && c.GetAmountPaid().GetCurrencyCode() != aw.GetCurrencyCode() {
		return ""
	}
	return money.FormatMinor(max(aw.GetAmountMinor()-paid, 0), aw.GetCurrencyCode())
}

type paymentCol = output.Column[*casebridgev1.Payment]

var paymentColumns = []paymentCol{
	output.Col("id", (*casebridgev1.Payment).GetId),
	output.Col("paid", (*casebridgev1.Payment).GetPaidDate),
	output.Col("amount", func(p *casebridgev1.Payment) string { return money.Format(p.GetAmount()) }),
	output.Col("payer", func(p *casebridgev1.Payment) string { return party(p.GetPayer()) }),
	output.Col("correction", func(p *casebridgev1.Payment) string { return yesNo(p.GetCorrection()) }),
	output.Col("reason", (*casebridgev1.Payment).GetReason),
	output.Col("recorded_by", (*casebridgev1.Payment).GetRecordedBy),
	output.ScriptCol("corrects", (*casebridgev1.Payment).GetCorrectsPaymentId),
}
