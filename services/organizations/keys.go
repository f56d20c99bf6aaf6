package organizations

import (
	"context"
	"errors"

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
	r, err := s.keys.StartRotation(ctx, req.GetOrganizationId())
	// The event (written by the interceptor once the rotation is under way)
	// names the rotation and the keys it moves case keys between.
	audit.Detail(ctx, audit.DetailRotation, r.ID)
	audit.Detail(ctx, audit.DetailOldKey, r.OldKeyID)
	audit.Detail(ctx, audit.DetailNewKey, r.NewKeyID)
	if errors.Is(err, keys.ErrNoActiveKey) {
		return nil, rpcerr.FailedPrecondition("organisation %s has no active key to rotate", req.GetOrganizationId())
	}
	if err != nil {
		return nil, err
	}
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
