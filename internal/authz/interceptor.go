package authz

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

// MembershipSource resolves a subject's memberships; *Members is the
// production implementation.
type MembershipSource interface {
	Memberships(ctx context.Context, subject string) (map[string][]string, error)
}

// Interceptors returns the unary and stream server interceptors that
// authorize every call. Install them after authentication.
//
// For each call they: let through a method listed in skip (an entry ending
// in "/" skips a whole service, e.g. "/grpc.health.v1.Health/"); take the
// authenticated subject from subject (false means Unauthenticated); look
// the method up in the method table, refusing a method that is not there
// with PermissionDenied, so a new RPC is unreachable until someone decides
// who may call it; resolve the caller's memberships (a database failure is
// Unavailable); require the method's permission in at least one
// organisation; and put the Principal in the context for the handler,
// which checks the organisation or case the request is about.
func Interceptors(engine *Engine, members MembershipSource, subject func(context.Context) (string, bool), skip []string) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	a := &authorizer{engine: engine, members: members, subject: subject, skip: map[string]bool{}}
	for _, s := range skip {
		if strings.HasSuffix(s, "/") {
			a.skipPrefixes = append(a.skipPrefixes, s)
		} else {
			a.skip[s] = true
		}
	}
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, _, err := a.authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
	// A stream outlives the check made when it opened: it is held only
	// while its caller keeps the roles it had then (see holdWhileAllowed).
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, checked, err := a.authorize(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if checked == nil {
			return handler(srv, &principalStream{ServerStream: ss, ctx: ctx})
		}
		return a.holdWhileAllowed(ctx, ss, checked.principal, checked.perm, func(held grpc.ServerStream) error {
			return handler(srv, held)
		})
	}
	return unary, stream
}

type authorizer struct {
	engine       *Engine
	members      MembershipSource
	subject      func(context.Context) (string, bool)
	skip         map[string]bool
	skipPrefixes []string
}

func (a *authorizer) skipped(method string) bool {
	if a.skip[method] {
		return true
	}
	for _, p := range a.skipPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

// authorized is what a call was authorized with.
type authorized struct {
	principal Principal
	perm      Permission
}

// authorize checks the call; the returned authorized is nil for a skipped
// method.
func (a *authorizer) authorize(ctx context.Context, method string) (context.Context, *authorized, error) {
	if a.skipped(method) {
		return ctx, nil, nil
	}
	ctx, p, perm, err := a.check(ctx, method)
	if err != nil {
		return nil, nil, err
	}
	return ctx, &authorized{principal: p, perm: perm}, nil
}

func (a *authorizer) check(ctx context.Context, method string) (context.Context, Principal, Permission, error) {
	var none Principal
	sub, ok := a.subject(ctx)
	if !ok || sub == "" {
		return nil, none, Permission{}, rpcerr.Unauthenticated("authentication required")
	}
	perm, ok := a.engine.Permission(method)
	if !ok {
		return nil, none, perm, rpcerr.PermissionDenied("method is not in the authorization policy")
	}
	orgs, err := a.members.Memberships(ctx, sub)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, none, perm, status.Error(codes.DeadlineExceeded, "deadline exceeded while resolving the caller's roles")
		case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
			return nil, none, perm, status.Error(codes.Canceled, "canceled while resolving the caller's roles")
		default:
			return nil, none, perm, status.Error(codes.Unavailable, "cannot resolve the caller's roles right now")
		}
	}
	p := Principal{Subject: sub, Memberships: orgs}
	if !a.engine.AllowedAnywhere(p, perm.Object, perm.Action) {
		return nil, none, perm, rpcerr.PermissionDenied("none of your roles allows %s %s", perm.Action, perm.Object)
	}
	return WithPrincipal(ctx, p), p, perm, nil
}

// principalStream is a ServerStream whose context carries the Principal.
type principalStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *principalStream) Context() context.Context { return s.ctx }
