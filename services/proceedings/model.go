package proceedings

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// proceedingRow is one row of the proceedings table. Dates are ISO 8601
// strings ("" when unset), as in the API.
type proceedingRow struct {
	ID            string
	CaseID        string
	CaseReference string // the owner's reference of the case (read only)
	Kind          casebridgev1.ProceedingKind
	Court         string
	Docket        string
	Country       string
	Zone          string
	Stage         casebridgev1.ProceedingStage
	VictimRole    casebridgev1.VictimRole
	Charges       []string
	Defendants    int32
	Measures      []casebridgev1.ProtectiveMeasure
	Lawyer        string
	Strategic     bool
	Goal          string
	Texts         []byte // sealed court, docket, charges, goal and sentence (see texts.go)
	StartDate     string
	Outcome       outcome
	CreatedBy     string
	Version       int64
	CreateTime    time.Time
	UpdateTime    time.Time
	StageTime     time.Time
	TrialID       string // the trial shared with co-victims' proceedings; "" when none
}

// outcome is the latest decision; Kind is unspecified until there is one.
type outcome struct {
	Kind         casebridgev1.OutcomeKind
	DecidedAt    casebridgev1.ProceedingStage
	Sentence     string
	DecisionDate string
	FinalDate    string
}

func (r *proceedingRow) etag() string { return strconv.FormatInt(r.Version, 10) }

func (r *proceedingRow) toProto() *casebridgev1.Proceeding {
	out := &casebridgev1.Proceeding{
		Id:                  r.ID,
		CaseId:              r.CaseID,
		CaseReference:       r.CaseReference,
		Kind:                r.Kind,
		Court:               r.Court,
		DocketNumber:        r.Docket,
		JurisdictionCountry: r.Country,
		CourtTimeZone:       r.Zone,
		Stage:               r.Stage,
		VictimRole:          r.VictimRole,
		Charges:             r.Charges,
		DefendantCount:      r.Defendants,
		ProtectiveMeasures:  r.Measures,
		ResponsibleLawyer:   r.Lawyer,
		Strategic:           r.Strategic,
		StrategicGoal:       r.Goal,
		StartDate:           r.StartDate,
		Etag:                r.etag(),
		CreateTime:          timestamppb.New(r.CreateTime),
		UpdateTime:          timestamppb.New(r.UpdateTime),
		StageTime:           timestamppb.New(r.StageTime),
		TrialId:             r.TrialID,
	}
	if o := r.Outcome; o.Kind != casebridgev1.OutcomeKind_OUTCOME_KIND_UNSPECIFIED {
		out.Outcome = &casebridgev1.ProceedingOutcome{
			Kind: o.Kind, DecidedAt: o.DecidedAt, Sentence: o.Sentence,
			DecisionDate: o.DecisionDate, FinalDate: o.FinalDate,
		}
	}
	return out
}

// checkEtag compares the client's etag with a row version. An empty etag
// skips the check where the API makes it optional.
func checkEtag(what, id string, version int64, etag string, required bool) error {
	if etag == "" && !required {
		return nil
	}
	if etag != strconv.FormatInt(version, 10) {
		return rpcerr.Aborted("%s %s was changed by someone else since you read it (stale etag): read it again and retry", what, id)
	}
	return nil
}
