// Package validation enforces the protovalidate rules declared in the API
// (proto/) on every request, in one interceptor, so that no handler sees a
// request that breaks its contract.
package validation

import (
	"context"
	"errors"
	"fmt"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/rpcerr"
)

// Validator checks requests against the rules declared in their messages.
type Validator struct {
	v protovalidate.Validator
}

// New builds a Validator. Rules are compiled lazily per message type and
// cached, so the first request of each type pays the compilation.
func New() (*Validator, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("build validator: %w", err)
	}
	return &Validator{v: v}, nil
}

// Check returns an InvalidArgument error naming every offending field, or nil.
func (v *Validator) Check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := v.v.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		// A rule that failed to compile or evaluate is our bug, not the client's.
		return fmt.Errorf("validate %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	violations := make([]rpcerr.FieldViolation, 0, len(verr.Violations))
	for _, viol := range verr.Violations {
		violations = append(violations, rpcerr.FieldViolation{
			Field:       protovalidate.FieldPathString(viol.Proto.GetField()),
			Description: viol.Proto.GetMessage(),
		})
	}
	return rpcerr.InvalidFields(violations)
}

// UnaryInterceptor validates each unary request before its handler runs.
func (v *Validator) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := v.Check(req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor validates every message a client streams in, except on
// the methods listed in own, whose handlers validate each message themselves
// (a bulk import rejects a bad row, not the whole stream).
func (v *Validator) StreamInterceptor(own ...string) grpc.StreamServerInterceptor {
	skip := map[string]bool{}
	for _, m := range own {
		skip[m] = true
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if skip[info.FullMethod] {
			return handler(srv, ss)
		}
		return handler(srv, &validatingStream{ServerStream: ss, v: v})
	}
}

type validatingStream struct {
	grpc.ServerStream
	v *Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.v.Check(m)
}
