package casectl

import (
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type (
	planCol      = output.Column[*casebridgev1.SupportPlan]
	objectiveCol = output.Column[*casebridgev1.Objective]
	actionCol    = output.Column[*casebridgev1.Action]
	serviceCol   = output.Column[*casebridgev1.SupportService]
	approvalCol  = output.Column[*casebridgev1.Approval]
)

var planDetail = []planCol{
	output.Col("ID", (*casebridgev1.SupportPlan).GetId),
	output.ScriptCol("case_id", (*casebridgev1.SupportPlan).GetCaseId),
	output.Col("Status", func(p *casebridgev1.SupportPlan) string { return enumName(p.GetStatus()) }),
	output.Col("Review", (*casebridgev1.SupportPlan).GetReviewDate),
	output.Col("Summary", (*casebridgev1.SupportPlan).GetSummary),
	output.Col("Objectives", func(p *casebridgev1.SupportPlan) string { return itoa(len(p.GetObjectives())) }),
	output.Col("Created by", (*casebridgev1.SupportPlan).GetCreatedBy),
	output.Col("Updated", func(p *casebridgev1.SupportPlan) string { return datetime.Local(p.GetUpdateTime()) }),
	output.ScriptCol("etag", (*casebridgev1.SupportPlan).GetEtag),
}

var objectiveColumns = []objectiveCol{
	output.Col("objective", (*casebridgev1.Objective).GetId),
	output.Col("status", func(o *casebridgev1.Objective) string { return enumName(o.GetStatus()) }),
	output.Col("target", (*casebridgev1.Objective).GetTargetDate),
	output.Col("description", (*casebridgev1.Objective).GetDescription),
	output.ScriptCol("etag", (*casebridgev1.Objective).GetEtag),
}

var actionColumns = []actionCol{
	output.Col("action", (*casebridgev1.Action).GetId),
	output.Col("objective", (*casebridgev1.Action).GetObjectiveId),
	output.Col("status", func(a *casebridgev1.Action) string { return enumName(a.GetStatus()) }),
	output.Col("planned", (*casebridgev1.Action).GetPlannedDate),
	output.Col("done", (*casebridgev1.Action).GetActualDate),
	output.Col("description", (*casebridgev1.Action).GetDescription),
	output.ScriptCol("etag", (*casebridgev1.Action).GetEtag),
}

var serviceColumns = []serviceCol{
	output.Col("id", (*casebridgev1.SupportService).GetId),
	output.Col("kind", func(v *casebridgev1.SupportService) string { return enumName(v.GetKind()) }),
	output.Col("status", func(v *casebridgev1.SupportService) string { return enumName(v.GetStatus()) }),
	output.Col("by", func(v *casebridgev1.SupportService) string {
		if v.GetReferralId() != "" {
			return "referral " + v.GetReferralId()
		}
		return enumName(v.GetProvider())
	}),
	output.Col("planned", (*casebridgev1.SupportService).GetPlannedDate),
	output.Col("delivered", (*casebridgev1.SupportService).GetDeliveredDate),
	output.Col("description", (*casebridgev1.SupportService).GetDescription),
	output.Col("outcome", (*casebridgev1.SupportService).GetOutcome),
	output.ScriptCol("etag", (*casebridgev1.SupportService).GetEtag),
}

var approvalColumns = []approvalCol{
	output.Col("id", (*casebridgev1.Approval).GetId),
	output.Col("case", (*casebridgev1.Approval).GetCaseId),
	output.Col("subject", func(a *casebridgev1.Approval) string { return enumName(a.GetSubject()) }),
	output.Col("status", func(a *casebridgev1.Approval) string { return enumName(a.GetStatus()) }),
	output.Col("asked by", (*casebridgev1.Approval).GetRequestedBy),
	output.Col("comment", (*casebridgev1.Approval).GetRequestComment),
	output.Col("decided by", (*casebridgev1.Approval).GetDecidedBy),
	output.Col("decision comment", (*casebridgev1.Approval).GetDecisionComment),
	output.ScriptCol("etag", (*casebridgev1.Approval).GetEtag),
}
