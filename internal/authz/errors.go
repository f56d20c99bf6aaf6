package authz

import "errors"

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
