package rpcerr

import (
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Exhausted is a limit the caller reached. With a RetryDelay the limit
// frees up by itself (a rate, a concurrency bound) and the client is told
// when to try again (google.rpc.RetryInfo); without one it is a quota that
// waiting does not lift (the notes of a case).
type Exhausted struct {
	Msg        string
	RetryDelay time.Duration
}

func (e *Exhausted) Error() string { return e.Msg }

// GRPCStatus is ResourceExhausted, with RetryInfo when retrying helps.
func (e *Exhausted) GRPCStatus() *status.Status {
	st := status.New(codes.ResourceExhausted, e.Msg)
	if e.RetryDelay <= 0 {
		return st
	}
	if withDetails, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryDelay)}); err == nil {
		return withDetails
	}
	return st
}

// ResourceExhausted reports a limit that frees up after retryAfter (zero: a
// quota that does not).
func ResourceExhausted(retryAfter time.Duration, format string, args ...any) error {
	return &Exhausted{Msg: fmt.Sprintf(format, args...), RetryDelay: retryAfter}
}
