package authz

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// StreamRecheck is how often an open stream re-resolves its caller's roles.
// A membership change reaches the resolver's cache by notification within
// milliseconds, so a removed member's stream ends within about this long.
var StreamRecheck = time.Second

// ErrAccessEnded is the status a stream ends with when its caller lost a
// membership or a role it held when the stream began, or the permission the
// method needs: what the stream was allowed to show was decided then.
var ErrAccessEnded = status.Error(codes.PermissionDenied,
	"your membership or roles changed since this stream began, so it has ended")

// errRolesUnknown ends a stream whose caller's roles cannot be re-checked:
// access is never extended on trust.
var errRolesUnknown = status.Error(codes.Unavailable, "cannot re-check the caller's roles right now: reconnect")

// holdWhileAllowed runs handler under a context that is cancelled as soon as
// the caller no longer holds what p held (or perm anywhere), and reports
// that cause instead of whatever the handler returned after it. The roles
// are re-checked every StreamRecheck, and before every message sent, so no
// message leaves after the change has reached this replica.
func (a *authorizer) holdWhileAllowed(ctx context.Context, ss grpc.ServerStream, p Principal, perm Permission, handler func(grpc.ServerStream) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	h := &heldStream{ServerStream: ss, ctx: ctx, check: func() error {
		if err := a.stillAllowed(ctx, p, perm); err != nil {
			cancel(err)
			return err
		}
		return nil
	}}
	go h.recheck()
	err := handler(h)
	if cause := context.Cause(ctx); err != nil && (errors.Is(cause, ErrAccessEnded) || errors.Is(cause, errRolesUnknown)) {
		return cause
	}
	return err
}

// stillAllowed re-resolves p's memberships (from the cache, which
// notifications keep current) and fails unless every role of p is still
// held and perm is still allowed somewhere.
func (a *authorizer) stillAllowed(ctx context.Context, p Principal, perm Permission) error {
	orgs, err := a.members.Memberships(ctx, p.Subject)
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case err != nil:
		return errRolesUnknown
	}
	now := Principal{Subject: p.Subject, Memberships: orgs}
	if !holdsAll(now, p) || !a.engine.AllowedAnywhere(now, perm.Object, perm.Action) {
		return ErrAccessEnded
	}
	return nil
}

// holdsAll reports whether now still holds every role was held in.
func holdsAll(now, was Principal) bool {
	for org, roles := range was.Memberships {
		for _, r := range roles {
			if !slices.Contains(now.Memberships[org], r) {
				return false
			}
		}
	}
	return true
}

// heldStream is a stream whose context carries the Principal and ends when
// the caller's access does.
type heldStream struct {
	grpc.ServerStream
	ctx   context.Context
	check func() error
}

func (s *heldStream) Context() context.Context { return s.ctx }

// SendMsg sends m only if the caller still has the access the stream was
// opened with.
func (s *heldStream) SendMsg(m any) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ServerStream.SendMsg(m)
}

// recheck checks every StreamRecheck until the stream ends, so that an idle
// stream ends too.
func (s *heldStream) recheck() {
	t := time.NewTicker(StreamRecheck)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if s.check() != nil {
			return
		}
	}
}
