package rpcerr

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
)

// TestDatabaseConditionsThatPass: a database out of disk, memory or
// connections is Unavailable (try again), not Internal (a bug); a refused
// statement stays Internal.
func TestDatabaseConditionsThatPass(t *testing.T) {
	for code, want := range map[string]codes.Code{
		"53100": codes.Unavailable, // disk_full
		"53200": codes.Unavailable, // out_of_memory
		"53300": codes.Unavailable, // too_many_connections
		"08006": codes.Unavailable, // connection_failure
		"57P01": codes.Unavailable, // admin_shutdown
		"42P01": codes.Internal,    // undefined_table
		"23505": codes.Internal,    // unique_violation (unmapped by a store)
	} {
		err := fmt.Errorf("insert: %w", &pgconn.PgError{Code: code, Message: "the database's own words"})
		st, _ := ToStatus(err)
		if st.Code() != want {
			t.Errorf("SQLSTATE %s: %s, want %s", code, st.Code(), want)
		}
		if st.Message() == "the database's own words" {
			t.Errorf("SQLSTATE %s: the database's message reached the client", code)
		}
	}
}

// TestCutReplyIsUnavailable: a connection reset in the middle of
// PostgreSQL's reply (pgx returns io.ErrUnexpectedEOF) is Unavailable, as
// the fault suite's resetting proxy showed; it was Internal.
func TestCutReplyIsUnavailable(t *testing.T) {
	for _, err := range []error{io.ErrUnexpectedEOF, io.EOF} {
		if st, _ := ToStatus(fmt.Errorf("commit: %w", err)); st.Code() != codes.Unavailable {
			t.Errorf("%v: %s, want Unavailable", err, st.Code())
		}
	}
}

// TestConditionKeepsItsCodeWhereverWrapped: a sentinel made by Condition
// reaches the client with its code and its own message however it is
// wrapped (the wrapping text, ids included, does not), and is still matched
// by errors.Is.
func TestConditionKeepsItsCodeWhereverWrapped(t *testing.T) {
	errSentinel := Condition(codes.FailedPrecondition, "the records were altered")
	err := fmt.Errorf("erase case 42: organisation other-org: key k-1: %w", errSentinel)
	st, internal := ToStatus(err)
	if st.Code() != codes.FailedPrecondition || st.Message() != "the records were altered" || internal {
		t.Fatalf("ToStatus = %s %q (internal %v), want FailedPrecondition with the sentinel's message", st.Code(), st.Message(), internal)
	}
	if !errors.Is(err, errSentinel) {
		t.Fatal("errors.Is no longer finds the sentinel")
	}
}
