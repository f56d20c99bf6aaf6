package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/requestid"
)

// errPanicked is what the client of a call whose handler panicked receives:
// one organisation's bad request must not stop the server for every other.
var errPanicked = status.Error(codes.Internal, "internal error")

// recoverInterceptors turn a panic in a handler (or an interceptor inside
// them) into Internal for that call alone, and log the stack.
func recoverInterceptors(log *slog.Logger) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	opt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		logPanic(ctx, log, p)
		return errPanicked
	})
	return recovery.UnaryServerInterceptor(opt), recovery.StreamServerInterceptor(opt)
}

// logPanic logs where a call panicked. The panic value itself is logged
// only when it is a runtime error (an index out of range, a nil
// dereference), whose text the runtime writes; any other value is named by
// its type alone, because a handler may have built it from the request. The
// stack holds function names, files and argument words, never payloads.
func logPanic(ctx context.Context, log *slog.Logger, p any) {
	method, _ := grpc.Method(ctx)
	value := fmt.Sprintf("%T", p)
	if re, ok := p.(runtime.Error); ok {
		value = re.Error()
	}
	log.ErrorContext(ctx, "call panicked; answered Internal",
		"method", method, "request_id", requestid.From(ctx), "panic", value, "stack", string(debug.Stack()))
}
