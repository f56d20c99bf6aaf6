package proceedings

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	investigation = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION
	indictment    = casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT
	firstInstance = casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE
	appeal        = casebridgev1.ProceedingStage_PROCEEDING_STAGE_APPEAL
	final         = casebridgev1.ProceedingStage_PROCEEDING_STAGE_FINAL
)

// checkStageMove is the whole stage lifecycle:
//
//	investigation → indictment → first instance → appeal → final
//
// A proceeding moves forward to any later stage (stages can be skipped: a
// case dismissed during investigation becomes final, a civil claim starts
// at indictment), and an appeal may send it back to first instance when
// the appeal court orders a retrial. Anything else — staying put, moving
// back, leaving final — is FailedPrecondition naming both stages, because
// monitoring measures how long proceedings take from one stage to the next.
func checkStageMove(from, to casebridgev1.ProceedingStage) error {
	if to > from || (from == appeal && to == firstInstance) {
		return nil
	}
	why := "stages only move forward"
	switch {
	case from == to:
		why = "the proceeding is already there"
	case from == final:
		why = "a final decision ends the proceeding"
	case to == firstInstance:
		why = "only an appeal can send a proceeding back to first instance (retrial)"
	}
	return rpcerr.FailedPrecondition("cannot move a proceeding from %s to %s: %s → %s is not allowed (%s)",
		stageWord(from), stageWord(to), stageWord(from), stageWord(to), why)
}

func stageWord(s casebridgev1.ProceedingStage) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.String(), "PROCEEDING_STAGE_"), "_", " "))
}

// AdvanceStage moves a proceeding to the stage it has reached.
func (s *Service) AdvanceStage(ctx context.Context, req *casebridgev1.AdvanceStageRequest) (*casebridgev1.AdvanceStageResponse, error) {
	r, err := s.mutateProceeding(ctx, req.GetId(), func(tx pgx.Tx, _ authz.Principal, _ authz.Access, r *proceedingRow) error {
		if err := checkEtag("proceeding", r.ID, r.Version, req.GetEtag(), false); err != nil {
			return err
		}
		if err := checkStageMove(r.Stage, req.GetStage()); err != nil {
			return err
		}
		r.Stage = req.GetStage()
		return s.saveProceeding(ctx, tx, r, s.now(), true)
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.AdvanceStageResponse{Proceeding: r.toProto()}, nil
}
