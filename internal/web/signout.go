package web

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/web/session"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// A session is a sealed cookie that any replica opens with the shared key,
// so no replica can forget it: a copy of the cookie is as good as the
// original until its idle deadline. What ends a session everywhere is its
// token, revoked at casebridged on sign-out (RevokeCallerToken), which
// every casebridged replica then refuses. A page whose API call is refused
// Unauthenticated therefore ends the session in this browser too, on
// whichever web replica served it.

// errTokenRefused: the API no longer accepts the session's token (signed
// out elsewhere, or ended at the server).
var errTokenRefused = errors.New("web: the server refused the session's token")

// tokenWatch notes that an API call of one request was refused
// Unauthenticated.
type tokenWatch struct{ refused atomic.Bool }

type tokenWatchKey struct{}

func watchToken(ctx context.Context) (context.Context, *tokenWatch) {
	w := &tokenWatch{}
	return context.WithValue(ctx, tokenWatchKey{}, w), w
}

func noteRefusal(ctx context.Context, err error) {
	if status.Code(err) != codes.Unauthenticated {
		return
	}
	if w, ok := ctx.Value(tokenWatchKey{}).(*tokenWatch); ok {
		w.refused.Store(true)
	}
}

// refusalInterceptors note every Unauthenticated answer to a page's call.
func refusalInterceptors() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			noteRefusal(ctx, err)
			return err
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			cs, err := streamer(ctx, desc, cc, method, opts...)
			noteRefusal(ctx, err)
			if err != nil {
				return nil, err
			}
			return &watchedStream{ClientStream: cs, ctx: ctx}, nil
		}),
	}
}

type watchedStream struct {
	grpc.ClientStream
	ctx context.Context
}

func (s *watchedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	noteRefusal(s.ctx, err)
	return err
}

// refusalWriter holds back a page's answer until its status is written:
// if an API call of the page was refused Unauthenticated by then, the page
// is not shown; the browser is signed out and sent to the sign-in page.
type refusalWriter struct {
	http.ResponseWriter
	r       *http.Request
	s       *Server
	watch   *tokenWatch
	decided bool
	swallow bool
}

func (rw *refusalWriter) WriteHeader(code int) {
	if rw.decided {
		return
	}
	rw.decided = true
	if rw.watch.refused.Load() {
		rw.swallow = true
		h := rw.ResponseWriter.Header()
		for _, k := range []string{"Set-Cookie", "Location", "Content-Type", "Content-Language"} {
			h.Del(k)
		}
		rw.s.signedOut(rw.ResponseWriter, rw.r, errTokenRefused)
		return
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *refusalWriter) Write(b []byte) (int, error) {
	if !rw.decided {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.swallow {
		return len(b), nil
	}
	return rw.ResponseWriter.Write(b)
}

// Flush passes on to the live stream (server-sent events).
func (rw *refusalWriter) Flush() {
	if rw.swallow {
		return
	}
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (rw *refusalWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// revoke ends sess's token at the server, on every casebridged replica. A
// token the server refuses already is as good as revoked. The token is
// never logged.
func (s *Server) revoke(ctx context.Context, sess *session.Session, why casebridgev1.SignOutReason) error {
	ctx = metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", "Bearer "+sess.Token)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.callTimeout())
	defer cancel()
	_, err := s.api.orgs.RevokeCallerToken(ctx, &casebridgev1.RevokeCallerTokenRequest{Reason: why})
	if err != nil && status.Code(err) != codes.Unauthenticated {
		s.log.Warn("web: revoke the session's token", "code", status.Code(err).String())
		return err
	}
	return nil
}

// handleSignOut ends the session: its token at the server first, so that
// no copy of the cookie on any replica keeps it alive, then the cookie.
// When the server cannot be told, the cookie is cleared all the same and
// the sign-in page says that the session may live on elsewhere until it
// times out.
func (s *Server) handleSignOut(w http.ResponseWriter, q *Request) {
	err := s.revoke(q.Request.Context(), q.S, casebridgev1.SignOutReason_SIGN_OUT_REASON_USER)
	s.sessions.End(w)
	if err != nil {
		http.Redirect(w, q.Request, "/signin?why=signedout_unconfirmed", http.StatusSeeOther)
		return
	}
	http.Redirect(w, q.Request, "/signin?why=signedout", http.StatusSeeOther)
}

// endIdle revokes the token of a session that ended for inactivity, when
// the request still carries its cookie: a copy of that cookie is dead
// anyway (its deadline is inside it), but the token it holds is not.
func (s *Server) endIdle(r *http.Request) {
	sess, err := s.sessions.Ended(r)
	if err != nil {
		return
	}
	_ = s.revoke(r.Context(), sess, casebridgev1.SignOutReason_SIGN_OUT_REASON_IDLE)
}
