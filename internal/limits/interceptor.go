package limits

import (
	"context"

	"google.golang.org/grpc"
)

// UnaryInterceptor admits each call through the limiter.
func (l *Limiter) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, done, err := l.Admit(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		defer done()
		return handler(ctx, req)
	}
}

// StreamInterceptor admits each stream through the limiter; the stream
// counts as running until it ends (an open watch holds its slot). Import
// streams also wait, row by row, for their organisation's row budget.
func (l *Limiter) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, done, err := l.Admit(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		defer done()
		ls := &limitedStream{ServerStream: ss, ctx: ctx}
		if ClassOf(info.FullMethod) == Import {
			if _, orgs, ok := l.identify(ctx); ok {
				ls.rows = func() error { return l.waitRows(ctx, orgs, 1) }
			}
		}
		return handler(srv, ls)
	}
}

// limitedStream carries the class deadline and, for imports, the row
// budget.
type limitedStream struct {
	grpc.ServerStream
	ctx  context.Context
	rows func() error
}

func (s *limitedStream) Context() context.Context { return s.ctx }

func (s *limitedStream) RecvMsg(m any) error {
	if s.rows != nil {
		if err := s.rows(); err != nil {
			return err
		}
	}
	return s.ServerStream.RecvMsg(m)
}
