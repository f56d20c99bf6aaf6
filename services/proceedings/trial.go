package proceedings

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// LinkProceedings makes two proceedings, of two cases, one trial: co-victims
// of one trafficking ring, each the injured party of her own proceeding. A
// trial is no more than a shared random id on the rows. Each row stays its
// case's own — its court, docket and charges sealed under that case's key,
// read only by those who may read that case — so erasing one person
// shreds nothing of the others', and figures can count the trial once.
//
// The caller must be able to update both (legal work on both cases). When
// one of them is in a trial already the other joins it; two different
// trials are not merged (FailedPrecondition).
func (s *Service) LinkProceedings(ctx context.Context, req *casebridgev1.LinkProceedingsRequest) (*casebridgev1.LinkProceedingsResponse, error) {
	if req.GetId() == req.GetWithId() {
		return nil, rpcerr.InvalidArgument("with_id", "a proceeding is not linked with itself")
	}
	r, err := s.mutateProceeding(ctx, req.GetId(), func(tx pgx.Tx, p authz.Principal, _ authz.Access, r *proceedingRow) error {
		if err := checkEtag("proceeding", r.ID, r.Version, req.GetEtag(), false); err != nil {
			return err
		}
		otherCase, otherAcc, err := s.proceedingAccess(ctx, tx, p, req.GetWithId(), objProceeding, actUpdate, true)
		if err != nil {
			return err
		}
		other, err := s.getProceeding(ctx, tx, req.GetWithId(), true)
		if err != nil {
			return err
		}
		if err := linkable(r, other); err != nil {
			return err
		}
		trial := r.TrialID
		if trial == "" {
			trial = other.TrialID
		}
		if trial == "" {
			trial = uuid.NewString()
		}
		if err := joinTrial(ctx, tx, trial, r.ID, other.ID); err != nil {
			return err
		}
		// The other case changed too: its own event, naming no class (no
		// text of it was written or returned).
		if err := s.recordChange(ctx, tx, otherAcc.Org, otherCase); err != nil {
			return err
		}
		fresh, err := s.getProceeding(ctx, tx, r.ID, false)
		if err != nil {
			return err
		}
		*r = *fresh
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.LinkProceedingsResponse{Proceeding: r.toProto()}, nil
}

// linkable says why proceedings a and b cannot be one trial, or nil.
func linkable(a, b *proceedingRow) error {
	switch {
	case a.CaseID == b.CaseID:
		return rpcerr.InvalidArgument("with_id", "proceeding %s is of the same case: a trial links the proceedings of different persons", b.ID)
	case a.Kind != b.Kind:
		return rpcerr.FailedPrecondition("proceedings %s and %s are of different kinds (%s, %s): one trial is one kind of proceeding",
			a.ID, b.ID, kindWord(a.Kind), kindWord(b.Kind))
	case a.TrialID != "" && b.TrialID != "" && a.TrialID != b.TrialID:
		return rpcerr.FailedPrecondition("proceedings %s and %s are in two different trials already", a.ID, b.ID)
	case a.TrialID != "" && a.TrialID == b.TrialID:
		return rpcerr.FailedPrecondition("proceedings %s and %s are in the same trial already", a.ID, b.ID)
	}
	return nil
}

func kindWord(k casebridgev1.ProceedingKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "PROCEEDING_KIND_"))
}
