package web

import (
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The enums the court, statistics and audit pages show (labels in the
// litigation and stats catalogues).
func init() {
	shownEnums = append(shownEnums,
		casebridgev1.ProceedingKind(0).Descriptor(),
		casebridgev1.ProceedingStage(0).Descriptor(),
		casebridgev1.VictimRole(0).Descriptor(),
		casebridgev1.OutcomeKind(0).Descriptor(),
		casebridgev1.HearingType(0).Descriptor(),
		casebridgev1.HearingStatus(0).Descriptor(),
		casebridgev1.DeadlineKind(0).Descriptor(),
		casebridgev1.DeadlineStatus(0).Descriptor(),
		casebridgev1.ClaimType(0).Descriptor(),
		casebridgev1.ClaimPartyKind(0).Descriptor(),
		casebridgev1.ClaimStatus(0).Descriptor(),
		casebridgev1.Dimension(0).Descriptor(),
	)
}
