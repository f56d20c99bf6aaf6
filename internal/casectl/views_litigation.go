package casectl

import (
	"strings"

	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/output"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

type proceedingCol = output.Column[*casebridgev1.Proceeding]

var proceedingColumns = []proceedingCol{
	output.Col("id", (*casebridgev1.Proceeding).GetId),
	output.Col("case", (*casebridgev1.Proceeding).GetCaseReference),
	output.Col("kind", func(p *casebridgev1.Proceeding) string { return enumName(p.GetKind()) }),
	output.Col("stage", func(p *casebridgev1.Proceeding) string { return enumName(p.GetStage()) }),
	output.Col("court", (*casebridgev1.Proceeding).GetCourt),
	output.Col("docket", (*casebridgev1.Proceeding).GetDocketNumber),
	output.Col("role", func(p *casebridgev1.Proceeding) string { return enumName(p.GetVictimRole()) }),
	output.Col("lawyer", (*casebridgev1.Proceeding).GetResponsibleLawyer),
	output.Col("outcome", func(p *casebridgev1.Proceeding) string { return enumName(p.GetOutcome().GetKind()) }),
	output.Col("strategic", func(p *casebridgev1.Proceeding) string { return yesNo(p.GetStrategic()) }),
	output.ScriptCol("case_id", (*casebridgev1.Proceeding).GetCaseId),
	output.ScriptCol("etag", (*casebridgev1.Proceeding).GetEtag),
}

var proceedingDetail = []proceedingCol{
	output.Col("ID", (*casebridgev1.Proceeding).GetId),
	output.Col("Case", (*casebridgev1.Proceeding).GetCaseReference),
	output.ScriptCol("case_id", (*casebridgev1.Proceeding).GetCaseId),
	output.Col("Kind", func(p *casebridgev1.Proceeding) string { return enumName(p.GetKind()) }),
	output.Col("Stage", func(p *casebridgev1.Proceeding) string { return enumName(p.GetStage()) }),
	output.Col("Court", (*casebridgev1.Proceeding).GetCourt),
	output.Col("Docket", (*casebridgev1.Proceeding).GetDocketNumber),
	output.Col("Country", (*casebridgev1.Proceeding).GetJurisdictionCountry),
	output.Col("Time zone", (*casebridgev1.Proceeding).GetCourtTimeZone),
	output.Col("Victim's role", func(p *casebridgev1.Proceeding) string { return enumName(p.GetVictimRole()) }),
	output.Col("Charges", func(p *casebridgev1.Proceeding) string { return strings.Join(p.GetCharges(), "; ") }),
	output.Col("Defendants", func(p *casebridgev1.Proceeding) string { return nonZero(p.GetDefendantCount()) }),
	output.Col("Protection", func(p *casebridgev1.Proceeding) string { return enumNames(p.GetProtectiveMeasures()) }),
	output.Col("Lawyer", (*casebridgev1.Proceeding).GetResponsibleLawyer),
	output.Col("Strategic", func(p *casebridgev1.Proceeding) string { return yesNo(p.GetStrategic()) }),
	output.Col("Goal", (*casebridgev1.Proceeding).GetStrategicGoal),
	output.Col("Trial", (*casebridgev1.Proceeding).GetTrialId),
	output.Col("Started", (*casebridgev1.Proceeding).GetStartDate),
	output.Col("Outcome", func(p *casebridgev1.Proceeding) string { return enumName(p.GetOutcome().GetKind()) }),
	output.Col("Decided at", func(p *casebridgev1.Proceeding) string { return enumName(p.GetOutcome().GetDecidedAt()) }),
	output.Col("Sentence", func(p *casebridgev1.Proceeding) string { return p.GetOutcome().GetSentence() }),
	output.Col("Decision date", func(p *casebridgev1.Proceeding) string { return p.GetOutcome().GetDecisionDate() }),
	output.Col("Final on", func(p *casebridgev1.Proceeding) string { return p.GetOutcome().GetFinalDate() }),
	output.Col("Stage since", func(p *casebridgev1.Proceeding) string { return datetime.Local(p.GetStageTime()) }),
	output.Col("Updated", func(p *casebridgev1.Proceeding) string { return datetime.Local(p.GetUpdateTime()) }),
	output.ScriptCol("etag", (*casebridgev1.Proceeding).GetEtag),
}

type hearingCol = output.Column[*casebridgev1.Hearing]

var hearingColumns = []hearingCol{
	output.Col("id", (*casebridgev1.Hearing).GetId),
	output.Col("when", func(h *casebridgev1.Hearing) string { return datetime.In(h.GetStartTime(), h.GetCourtTimeZone()) }),
	output.Col("type", func(h *casebridgev1.Hearing) string { return enumName(h.GetType()) }),
	output.Col("status", func(h *casebridgev1.Hearing) string { return enumName(h.GetStatus()) }),
	output.Col("outcome", (*casebridgev1.Hearing).GetOutcome),
	output.ScriptCol("time_zone", (*casebridgev1.Hearing).GetCourtTimeZone),
	output.ScriptCol("proceeding_id", (*casebridgev1.Hearing).GetProceedingId),
	output.ScriptCol("start_time_utc", func(h *casebridgev1.Hearing) string {
		return h.GetStartTime().AsTime().UTC().Format("2006-01-02T15:04:05Z")
	}),
}

var hearingDetail = []hearingCol{
	output.Col("ID", (*casebridgev1.Hearing).GetId),
	output.Col("Proceeding", (*casebridgev1.Hearing).GetProceedingId),
	output.Col("When", func(h *casebridgev1.Hearing) string { return datetime.In(h.GetStartTime(), h.GetCourtTimeZone()) }),
	output.Col("Time zone", (*casebridgev1.Hearing).GetCourtTimeZone),
	output.Col("Expected", hearingLength),
	output.Col("Type", func(h *casebridgev1.Hearing) string { return enumName(h.GetType()) }),
	output.Col("Status", func(h *casebridgev1.Hearing) string { return enumName(h.GetStatus()) }),
	output.Col("Outcome", (*casebridgev1.Hearing).GetOutcome),
	output.Col("Notes", (*casebridgev1.Hearing).GetNotes),
	output.ScriptCol("etag", (*casebridgev1.Hearing).GetEtag),
}

type upcomingCol = output.Column[*casebridgev1.UpcomingItem]

var upcomingColumns = []upcomingCol{
	output.Col("when", upcomingWhen),
	output.Col("what", upcomingWhat),
	output.Col("court", (*casebridgev1.UpcomingItem).GetCourt),
	output.Col("docket", (*casebridgev1.UpcomingItem).GetDocketNumber),
	output.Col("case", (*casebridgev1.UpcomingItem).GetCaseReference),
	output.ScriptCol("id", func(u *casebridgev1.UpcomingItem) string {
		if h := u.GetHearing(); h != nil {
			return h.GetId()
		}
		return u.GetDeadline().GetId()
	}),
}

func upcomingWhen(u *casebridgev1.UpcomingItem) string {
	if h := u.GetHearing(); h != nil {
		return datetime.In(h.GetStartTime(), h.GetCourtTimeZone())
	}
	d := u.GetDeadline()
	return datetime.In(d.GetDueTime(), d.GetCourtTimeZone())
}

// upcomingWhat names the entry without any free text a person typed, so
// that it is also safe in an exported calendar.
func upcomingWhat(u *casebridgev1.UpcomingItem) string {
	if h := u.GetHearing(); h != nil {
		return "hearing (" + firstNonEmpty(enumName(h.GetType()), "unspecified") + ")"
	}
	return "deadline (" + firstNonEmpty(enumName(u.GetDeadline().GetKind()), "unspecified") + ")"
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// hearingLength is the length the court expects, "" when it did not say.
func hearingLength(h *casebridgev1.Hearing) string {
	d := h.GetExpectedDuration()
	if d == nil {
		return ""
	}
	s := strings.TrimSuffix(d.AsDuration().String(), "m0s") // "1h30m0s" → "1h30"
	if strings.HasSuffix(s, "h0") {
		return strings.TrimSuffix(s, "0") // "2h0" → "2h"
	}
	if !strings.ContainsAny(s[len(s)-1:], "hs") {
		s += "m"
	}
	return s
}
