package rpcerr

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ToStatus converts any error a handler returned into the status the client
// sees. internal reports whether the cause is ours (to be logged in full on
// the server): the client then gets a generic message, never the database's.
func ToStatus(err error) (st *status.Status, internal bool) {
	if err == nil {
		return status.New(codes.OK, ""), false
	}
	if e, ok := As(err); ok {
		return e.GRPCStatus(), false
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return s, false
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded"), false
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "request canceled"), false
	case isQueryCanceled(err):
		return status.New(codes.DeadlineExceeded, "deadline exceeded: the call ran out of time (its deadline, or the server's limit for its kind of call)"), false
	case isUnavailable(err):
		return status.New(codes.Unavailable, "database unavailable, try again"), true
	}
	return status.New(codes.Internal, "internal error"), true
}

// isUnavailable recognises a database that cannot be reached, as opposed to
// one that refused a statement.
func isUnavailable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// A connection reset in the middle of a reply reaches pgx as a cut
	// stream, not as a network error.
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-03: admin shutdown, crash,
		// cannot connect now; class 53: insufficient resources (disk full,
		// out of memory, too many connections), which pass when the
		// operator frees them: the call may be tried again, it is not a bug.
		return pgErr.Code[:2] == "08" || pgErr.Code[:2] == "53" ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}

// isQueryCanceled recognises a statement PostgreSQL cancelled (57014): the
// server asks for that only when a call's context ends, so it is the call
// running out of time.
func isQueryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}
