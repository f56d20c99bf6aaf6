package servertest

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// WantCode fails t unless err has code want, and returns its status.
func WantCode(t testing.TB, err error, want codes.Code) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("want %v, got %v: %v", want, st.Code(), st.Message())
	}
	return st
}

// WantMessage fails t unless err has code want and its message says part.
func WantMessage(t testing.TB, err error, want codes.Code, part string) {
	t.Helper()
	if st := WantCode(t, err, want); !strings.Contains(st.Message(), part) {
		t.Fatalf("message %q does not say %q", st.Message(), part)
	}
}

// WantField fails t unless err is InvalidArgument with a field violation
// (google.rpc.BadRequest) naming field.
func WantField(t testing.TB, err error, field string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("want InvalidArgument on %s, got %v: %s", field, st.Code(), st.Message())
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("InvalidArgument does not name %s: %s (%v)", field, st.Message(), st.Details())
}
