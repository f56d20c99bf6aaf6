package organizations

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// ListKeys lists the public half of the organisation's keys.
func (s *Service) ListKeys(ctx context.Context, req *casebridgev1.ListKeysRequest) (*casebridgev1.ListKeysResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	audit.SetOrg(ctx, req.GetOrganizationId())
	audit.Detail(ctx, audit.DetailOrganization, req.GetOrganizationId())
	if err := s.require(p, req.GetOrganizationId(), "key", "read"); err != nil {
		return nil, err
	}
	ks, err := s.keys.ListOrgKeys(ctx, req.GetOrganizationId())
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListKeysResponse{}
	for _, k := range ks {
		pk := &casebridgev1.OrganizationKey{
			KeyId: k.ID, Recipient: k.Recipient, State: casebridgev1.KeyState(k.State),
			CreateTime: timestamppb.New(k.CreateTime),
		}
		if !k.RetireTime.IsZero() {
			pk.RetireTime = timestamppb.New(k.RetireTime)
		}
		resp.Keys = append(resp.Keys, pk)
	}
	return resp, nil
}

// RotateKey starts (or returns the running) rotation of the organisation's key.
func (s *Service) RotateKey(ctx context.Context, req *casebridgev1.RotateKeyRequest) (*casebridgev1.RotateKeyResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	audit.SetOrg(ctx, req.GetOrganizationId())
	audit.Detail(ctx, audit.DetailOrganization, req.GetOrganizationId())
	if err := s.require(p, req.GetOrganizationId(), "key", "rotate"); err != nil {
		return nil, err
	}
	// The event names the rotation and the keys it moves case keys
	// between, and commits in the rotation's own transaction: there is no
	// rotation without its record.
	var r keys.Rotation
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if r, err = s.keys.StartRotationIn(ctx, tx, req.GetOrganizationId()); err != nil {
			return err
		}
		audit.Detail(ctx, audit.DetailRotation, r.ID)
		audit.Detail(ctx, audit.DetailOldKey, r.OldKeyID)
		audit.Detail(ctx, audit.DetailNewKey, r.NewKeyID)
		return s.audit.InTx(ctx, tx, req.GetOrganizationId(), "", nil)
	})
	if errors.Is(err, keys.ErrNoActiveKey) {
		return nil, rpcerr.FailedPrecondition("organisation %s has no active key to rotate", req.GetOrganizationId())
	}
	if err != nil {
		return nil, err
	}
	s.keys.Work(r)
	return &casebridgev1.RotateKeyResponse{Rotation: rotationProto(r)}, nil
}

// GetKeyRotation reports a rotation's progress.
func (s *Service) GetKeyRotation(ctx context.Context, req *casebridgev1.GetKeyRotationRequest) (*casebridgev1.GetKeyRotationResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	audit.SetOrg(ctx, req.GetOrganizationId())
	audit.Detail(ctx, audit.DetailOrganization, req.GetOrganizationId())
	audit.Detail(ctx, audit.DetailRotation, req.GetId())
	if err := s.require(p, req.GetOrganizationId(), "key", "read"); err != nil {
		return nil, err
	}
	r, err := s.keys.GetRotation(ctx, req.GetOrganizationId(), req.GetId())
	if errors.Is(err, keys.ErrRotationNotFound) {
		return nil, rpcerr.NotFound("rotation %s not found", req.GetId())
	}
	if err != nil {
		return nil, err
	}
	return &casebridgev1.GetKeyRotationResponse{Rotation: rotationProto(r)}, nil
}

func rotationProto(r keys.Rotation) *casebridgev1.KeyRotation {
	out := &casebridgev1.KeyRotation{
		Id: r.ID, OrganizationId: r.OrganizationID, OldKeyId: r.OldKeyID, NewKeyId: r.NewKeyID,
		State: casebridgev1.RotationState(r.State), Total: r.Total, Done: r.Done,
		CreateTime: timestamppb.New(r.CreateTime), Error: r.Error,
	}
	if !r.FinishTime.IsZero() {
		out.FinishTime = timestamppb.New(r.FinishTime)
	}
	return out
}
