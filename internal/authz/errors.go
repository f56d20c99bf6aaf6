package authz

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors of case-level decisions. The server maps them to gRPC
// codes NotFound and PermissionDenied; test for them with errors.Is.
var (
	// ErrNotFound means the caller has no way to see the case at all: it
	// belongs to an organisation they are not a member of and was not shared
	// with theirs, or their roles there do not include reading cases. It is
	// reported exactly like a case that does not exist, because the existence
	// of a case is itself sensitive.
	ErrNotFound = errors.New("authz: not found")
	// ErrPermissionDenied means the caller can see the case but none of their
	// roles allows the requested operation on it.
	ErrPermissionDenied = errors.New("authz: permission denied")
)

// StatusError converts the result of CaseAccess into the gRPC error a
// handler returns: ErrNotFound becomes NotFound (with the same message as a
// case that does not exist), ErrPermissionDenied becomes PermissionDenied.
// Other errors are returned unchanged; nil stays nil.
func StatusError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, "case not found")
	case errors.Is(err, ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, "none of the caller's roles allows this on this case")
	}
	return err
}
