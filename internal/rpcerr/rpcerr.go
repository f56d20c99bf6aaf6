// Package rpcerr is the one place where errors become gRPC statuses. Stores
// and handlers return these errors (or wrap them); the server's interceptor
// turns anything else into Unavailable or Internal without leaking the
// database's own message to the client.
package rpcerr

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/casebridge/casebridge/internal/rpcerr/reason"
)

// Error is an error meant for the client: a code and a message that says
// what was wrong, never a field value of victim data.
type Error struct {
	Code       codes.Code
	Msg        string
	Violations []FieldViolation
	// Reason, when set, is sent as a google.rpc.ErrorInfo (domain reason.Domain)
	// with Metadata: why, for a client to act on without reading Msg.
	Reason   string
	Metadata map[string]string
}

// FieldViolation names a request field and what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

func (e *Error) Error() string { return e.Msg }

// GRPCStatus lets status.FromError and the grpc runtime see the code, with
// field violations attached as google.rpc.BadRequest details.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code, e.Msg)
	var details []protoadapt.MessageV1
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: v.Field, Description: v.Description,
			})
		}
		details = append(details, br)
	}
	if e.Reason != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: e.Reason, Domain: reason.Domain, Metadata: e.Metadata})
	}
	if len(details) == 0 {
		return st
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		return withDetails
	}
	return st
}

// InvalidArgument reports one bad request field.
func InvalidArgument(field, format string, args ...any) error {
	desc := fmt.Sprintf(format, args...)
	return &Error{
		Code:       codes.InvalidArgument,
		Msg:        fmt.Sprintf("invalid %s: %s", field, desc),
		Violations: []FieldViolation{{Field: field, Description: desc}},
	}
}

// InvalidFields reports several bad request fields at once.
func InvalidFields(violations []FieldViolation) error {
	msg := "invalid request:"
	for i, v := range violations {
		if i > 0 {
			msg += ";"
		}
		msg += " " + v.Field + ": " + v.Description
	}
	return &Error{Code: codes.InvalidArgument, Msg: msg, Violations: violations}
}

// NotFound reports a resource that does not exist or that the caller may not
// know exists: both look the same from outside.
func NotFound(format string, args ...any) error {
	return &Error{Code: codes.NotFound, Msg: fmt.Sprintf(format, args...)}
}

// FailedPrecondition reports an illegal state transition or a missing
// prerequisite (a consent, a key).
func FailedPrecondition(format string, args ...any) error {
	return &Error{Code: codes.FailedPrecondition, Msg: fmt.Sprintf(format, args...)}
}

// FailedPreconditionReason is FailedPrecondition with a machine-readable
// reason (one of package reason's constants) and its metadata (ids and codes
// only, never victim data) in a google.rpc.ErrorInfo.
func FailedPreconditionReason(code string, metadata map[string]string, format string, args ...any) error {
	return &Error{Code: codes.FailedPrecondition, Msg: fmt.Sprintf(format, args...), Reason: code, Metadata: metadata}
}

// Aborted reports a concurrent change: the etag the client sent is stale.
func Aborted(format string, args ...any) error {
	return &Error{Code: codes.Aborted, Msg: fmt.Sprintf(format, args...)}
}

// PermissionDenied reports a role that lacks a permission.
func PermissionDenied(format string, args ...any) error {
	return &Error{Code: codes.PermissionDenied, Msg: fmt.Sprintf(format, args...)}
}

// AlreadyExists reports a create that collides with an existing resource.
func AlreadyExists(format string, args ...any) error {
	return &Error{Code: codes.AlreadyExists, Msg: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports a missing or invalid credential.
func Unauthenticated(format string, args ...any) error {
	return &Error{Code: codes.Unauthenticated, Msg: fmt.Sprintf(format, args...)}
}

// As finds an *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// DataLoss reports stored data that failed its integrity check: a
// ciphertext that does not belong where it was found. The request fails
// rather than return anything from it.
func DataLoss(format string, args ...any) error {
	return &Error{Code: codes.DataLoss, Msg: fmt.Sprintf(format, args...)}
}

// Condition returns a sentinel error for a package below the services (keys,
// vault) that the client sees, however deeply it is wrapped, as code with
// msg alone — the wrapping text, with its ids, stays in the server's log.
// Match it with errors.Is like any sentinel. Use it for a refusal the
// caller can understand and report, which would otherwise be Internal.
func Condition(code codes.Code, msg string) error {
	return &Error{Code: code, Msg: msg}
}
