package server

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// observeUnary is the outermost interceptor: it gives the call a request id,
// turns the handler's error into the status the client sees (in one place,
// rpcerr.ToStatus) and logs one line per call. It logs the method, code,
// duration, request id and caller — never a request or response payload,
// and never the message a client receives (see finish).
func observeUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		id := requestid.FromIncoming(ctx)
		ctx = requestid.With(ctx, id)
		_ = grpc.SetHeader(ctx, metadata.Pairs(requestid.MetadataKey, id))
		resp, err := handler(ctx, req)
		err = finish(ctx, log, info.FullMethod, id, start, err)
		return resp, err
	}
}

// observeStream is observeUnary for streaming calls.
func observeStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		id := requestid.FromIncoming(ss.Context())
		ctx := requestid.With(ss.Context(), id)
		_ = ss.SetHeader(metadata.Pairs(requestid.MetadataKey, id))
		err := handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		return finish(ctx, log, info.FullMethod, id, start, err)
	}
}

// finish logs the call and returns the status the client receives. A
// refused call is logged by its code and the names of the fields it blames,
// not by its message: messages are written for the caller and may quote what
// it sent (an id, a country code, a name typed into the wrong field), and
// the log is read by people who may not see case data. Only errors of our
// own (internal) are logged with their cause, which stores wrap with ids.
func finish(ctx context.Context, log *slog.Logger, method, id string, start time.Time, err error) error {
	st, internal := rpcerr.ToStatus(err)
	// Typed attributes, in an array of their own: a line per call costs no
	// boxing of each value and no growth of the list.
	var buf [7]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", method),
		slog.String("code", st.Code().String()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", id),
	)
	if c, ok := authn.CallerFrom(ctx); ok {
		attrs = append(attrs, slog.String("caller", c.Subject))
	}
	switch {
	case internal:
		// The cause may name a table or a constraint, never a field value:
		// stores wrap errors with ids only.
		log.LogAttrs(ctx, slog.LevelError, "call failed", append(attrs, slog.String("error", err.Error()))...)
	case st.Code() == codes.OK:
		log.LogAttrs(ctx, slog.LevelInfo, "call", attrs...)
	default:
		if fields := rpcerr.Fields(st); len(fields) > 0 {
			attrs = append(attrs, slog.Any("fields", fields))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "call", attrs...)
	}
	if err == nil {
		return nil
	}
	return st.Err()
}

// contextStream lets interceptors replace a stream's context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }
