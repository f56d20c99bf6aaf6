package organizations

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TokenRevoker ends a token before its expiry on every replica
// (internal/revocation). record runs in the revocation's transaction.
type TokenRevoker interface {
	Revoke(ctx context.Context, id string, expiry time.Time, record func(pgx.Tx) error) error
}

// RevokeCallerToken ends the token of this very call: a sign-out. The
// token is named by its id, never stored; the revocation and its audit
// event commit together.
func (s *Service) RevokeCallerToken(ctx context.Context, req *casebridgev1.RevokeCallerTokenRequest) (*casebridgev1.RevokeCallerTokenResponse, error) {
	if _, err := authz.Caller(ctx); err != nil {
		return nil, err
	}
	c, ok := authn.CallerFrom(ctx)
	if !ok || c.TokenID == "" {
		return nil, rpcerr.Unauthenticated("authentication required")
	}
	if req.GetReason() == casebridgev1.SignOutReason_SIGN_OUT_REASON_UNSPECIFIED {
		// The validator refuses it first; this keeps the rule in the handler too.
		return nil, rpcerr.InvalidArgument("reason", "a sign-out reason is required")
	}
	audit.Detail(ctx, audit.DetailReason, strings.ToLower(strings.TrimPrefix(req.GetReason().String(), "SIGN_OUT_REASON_")))
	err := s.revoker.Revoke(ctx, c.TokenID, c.Expiry, func(tx pgx.Tx) error {
		return s.audit.InTx(ctx, tx, "", "", nil)
	})
	if err != nil {
		return nil, err
	}
	return &casebridgev1.RevokeCallerTokenResponse{ExpireTime: timestamppb.New(c.Expiry)}, nil
}
