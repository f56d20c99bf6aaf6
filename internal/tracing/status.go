package tracing

import (
	"context"

	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// codeOnly hands otelgrpc a call's end with its status code alone. otelgrpc
// writes the status message into the span's status description for some
// codes (DataLoss, DeadlineExceeded, Unavailable, Unknown, ...); messages
// are written for the caller and may quote what it sent, so none reaches a
// span. The code is what a trace reader needs.
type codeOnly struct {
	stats.Handler
}

// HandleRPC passes every event through, an end with a failed status
// replaced by one of the same code and no message.
func (h codeOnly) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if end, ok := s.(*stats.End); ok && end.Error != nil {
		stripped := *end
		stripped.Error = status.Error(status.Code(end.Error), "")
		s = &stripped
	}
	h.Handler.HandleRPC(ctx, s)
}
