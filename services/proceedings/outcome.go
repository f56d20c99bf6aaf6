package proceedings

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// RecordOutcome records or corrects the latest decision. A decision on
// appeal replaces the first-instance one; the stage is left alone, so that
// "decided" and "final" stay two facts with two dates.
func (s *Service) RecordOutcome(ctx context.Context, req *casebridgev1.RecordOutcomeRequest) (*casebridgev1.RecordOutcomeResponse, error) {
	in := req.GetOutcome()
	now := s.now()
	if err := checkDate("outcome.decision_date", in.GetDecisionDate(), now); err != nil {
		return nil, err
	}
	if err := checkDate("outcome.final_date", in.GetFinalDate(), now); err != nil {
		return nil, err
	}
	r, err := s.mutateProceeding(ctx, req.GetId(), func(tx pgx.Tx, _ authz.Principal, _ authz.Access, r *proceedingRow) error {
		if err := checkEtag("proceeding", r.ID, r.Version, req.GetEtag(), false); err != nil {
			return err
		}
		decidedAt := in.GetDecidedAt()
		if decidedAt == casebridgev1.ProceedingStage_PROCEEDING_STAGE_UNSPECIFIED {
			decidedAt = r.Stage
		}
		if decidedAt > r.Stage {
			return rpcerr.FailedPrecondition("the proceeding is at %s: it cannot have been decided at %s yet (advance the stage first)",
				stageWord(r.Stage), stageWord(decidedAt))
		}
		r.Outcome = outcome{
			Kind: in.GetKind(), DecidedAt: decidedAt, Sentence: in.GetSentence(),
			DecisionDate: in.GetDecisionDate(), FinalDate: in.GetFinalDate(),
		}
		return s.saveProceeding(ctx, tx, r, now, false)
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.RecordOutcomeResponse{Proceeding: r.toProto()}, nil
}
