package proceedings

import (
	"slices"
	"time"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// editablePaths are the fields of a proceeding a client sets, at creation
// or through UpdateProceeding's mask; stage and outcome have their own
// methods, and everything else is the server's.
var editablePaths = []string{
	"kind", "court", "docket_number", "jurisdiction_country", "court_time_zone", "victim_role",
	"charges", "defendant_count", "protective_measures", "responsible_lawyer", "strategic",
	"strategic_goal", "start_date",
}

// checkFields checks what the declared rules cannot, for the given paths of
// in: real countries, known time zones, real past dates.
func checkFields(in *casebridgev1.Proceeding, paths []string, now time.Time) error {
	for _, path := range paths {
		var err error
		switch path {
		case "jurisdiction_country":
			err = checkCountry("proceeding.jurisdiction_country", in.GetJurisdictionCountry())
		case "court_time_zone":
			err = checkZone("proceeding.court_time_zone", in.GetCourtTimeZone())
		case "start_date":
			err = checkDate("proceeding.start_date", in.GetStartDate(), now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// apply copies the given paths of in onto r.
func apply(r *proceedingRow, in *casebridgev1.Proceeding, paths []string) error {
	for _, path := range paths {
		switch path {
		case "kind":
			r.Kind = in.GetKind()
		case "court":
			r.Court = in.GetCourt()
		case "docket_number":
			r.Docket = in.GetDocketNumber()
		case "jurisdiction_country":
			r.Country = in.GetJurisdictionCountry()
		case "court_time_zone":
			r.Zone = in.GetCourtTimeZone()
		case "victim_role":
			r.VictimRole = in.GetVictimRole()
		case "charges":
			r.Charges = slices.Clone(in.GetCharges())
		case "defendant_count":
			r.Defendants = in.GetDefendantCount()
		case "protective_measures":
			r.Measures = slices.Clone(in.GetProtectiveMeasures())
		case "responsible_lawyer":
			r.Lawyer = in.GetResponsibleLawyer()
		case "strategic":
			r.Strategic = in.GetStrategic()
		case "strategic_goal":
			r.Goal = in.GetStrategicGoal()
		case "start_date":
			r.StartDate = in.GetStartDate()
		default:
			return rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q", path)
		}
	}
	return nil
}

// settleStrategic enforces that strategic litigation states its goal and
// that only strategic litigation has one. Un-flagging a proceeding drops
// its goal; a goal sent for a proceeding that is not strategic is refused,
// since the client evidently meant something else.
func settleStrategic(r *proceedingRow, goalSent bool) error {
	switch {
	case r.Strategic && r.Goal == "":
		return rpcerr.InvalidArgument("proceeding.strategic_goal", "required for strategic litigation: say what it aims at")
	case !r.Strategic && r.Goal != "" && goalSent:
		return rpcerr.InvalidArgument("proceeding.strategic_goal", "only a proceeding flagged strategic has a goal")
	case !r.Strategic:
		r.Goal = ""
	}
	return nil
}
