package proceedings

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// UpdateProceeding changes the masked fields if the etag is current, in one
// transaction: a stale etag is Aborted and nothing changes.
func (s *Service) UpdateProceeding(ctx context.Context, req *casebridgev1.UpdateProceedingRequest) (*casebridgev1.UpdateProceedingResponse, error) {
	in := req.GetProceeding()
	if _, err := uuid.Parse(in.GetId()); err != nil || len(in.GetId()) != 36 {
		return nil, rpcerr.InvalidArgument("proceeding.id", "must be a UUID")
	}
	paths := req.GetUpdateMask().GetPaths()
	for _, path := range paths {
		if !slices.Contains(editablePaths, path) {
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q", path)
		}
	}
	if err := checkFields(in, paths, s.now()); err != nil {
		return nil, err
	}
	r, err := s.mutateProceeding(ctx, in.GetId(), func(tx pgx.Tx, _ authz.Principal, _ authz.Access, r *proceedingRow) error {
		if err := checkEtag("proceeding", r.ID, r.Version, req.GetEtag(), true); err != nil {
			return err
		}
		if err := apply(r, in, paths); err != nil {
			return err
		}
		goalSent := slices.Contains(paths, "strategic_goal") && in.GetStrategicGoal() != ""
		if err := settleStrategic(r, goalSent); err != nil {
			return err
		}
		if slices.Contains(paths, "responsible_lawyer") {
			if err := caseaccess.CheckLawyer(ctx, tx, "proceeding.responsible_lawyer", r.CaseID, r.Lawyer); err != nil {
				return err
			}
		}
		return s.saveProceeding(ctx, tx, r, s.now(), false)
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.UpdateProceedingResponse{Proceeding: r.toProto()}, nil
}
