package explain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr/reason"
)

// usageErr stands in for cli.UsageError, which explain knows only by its
// ExitCode method.
type usageErr struct{ msg string }

func (u usageErr) Error() string { return u.msg }
func (u usageErr) ExitCode() int { return Usage }

func badRequest(t *testing.T, msg string, fields ...string) error {
	t.Helper()
	br := &errdetails.BadRequest{}
	for i := 0; i+1 < len(fields); i += 2 {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: fields[i], Description: fields[i+1]})
	}
	st, err := status.New(codes.InvalidArgument, msg).WithDetails(br)
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

func TestFieldViolationsAreListedWithTheirFlags(t *testing.T) {
	err := badRequest(t, "invalid request: case.coded.nationality: ...; case.coded.identification_year: ...",
		"case.coded.nationality", `"XX" is not an ISO 3166-1 alpha-2 country code`,
		"case.coded.identification_year", "must be 0 (unknown) or a year between 1950 and the current year",
		"case.coded.exploitation_forms[1]", "value must be unique")
	err = WithFlags(Wrap(err, "open case"), map[string]string{
		"case.coded.nationality": "--nationality", "case.coded.exploitation_forms": "--forms",
	})
	got := Message(err)
	want := "open case: invalid input:\n" +
		`  case.coded.nationality (--nationality): "XX" is not an ISO 3166-1 alpha-2 country code` + "\n" +
		"  case.coded.identification_year: must be 0 (unknown) or a year between 1950 and the current year\n" +
		"  case.coded.exploitation_forms[1] (--forms): value must be unique"
	if got != want {
		t.Errorf("Message:\n%s\nwant:\n%s", got, want)
	}
	if ExitCode(err) != Failed {
		t.Errorf("exit code %d, want %d", ExitCode(err), Failed)
	}
}

func TestStatusesInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{Wrap(status.Error(codes.NotFound, "case 0b6f... not found"), "case SHA-2026-0001"),
			"case SHA-2026-0001: not found (or you may not see it)"},
		{status.Error(codes.InvalidArgument, "invalid page_token"), "invalid input: invalid page_token"},
		{Wrap(status.Error(codes.FailedPrecondition, "missing consent"), "refer SHA-2026-0001 to cso-c"),
			"refer SHA-2026-0001 to cso-c: not possible now: missing consent"},
		{status.Error(codes.PermissionDenied, "none of your roles allows read case"),
			"your role does not allow this: none of your roles allows read case"},
		{status.Error(codes.Unauthenticated, "token expired"), "not signed in: token expired; run 'casectl login' again"},
		{status.Error(codes.Aborted, "stale etag"), "someone changed it meanwhile; look at it again and retry (stale etag)"},
		{status.Error(codes.Unimplemented, "unknown service casebridge.v1.AuditService"),
			"the server does not offer this yet (unknown service casebridge.v1.AuditService)"},
		{status.Error(codes.Unavailable, "database unavailable"), "the server is unavailable right now: database unavailable"},
		{status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`),
			"cannot reach the server (dial tcp 127.0.0.1:1: connect: connection refused); is casebridged running there? Check the address with --server or 'casectl login'"},
		{status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`),
			"cannot reach the server (authentication handshake failed: tls: first record does not look like a TLS handshake); if the server runs without TLS (dev mode), log in with --insecure"},
		{status.Error(codes.Internal, "boom"), "the server failed: boom"},
		{errors.New("open import file: no such file"), "open import file: no such file"},
		{fmt.Errorf("list cases: %w", context.DeadlineExceeded), "list cases: the server did not answer in time (try again, or a longer --timeout)"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
		if strings.Contains(Message(tc.err), "rpc error") || strings.Contains(Message(tc.err), "code = ") {
			t.Errorf("gRPC internals leak into %q", Message(tc.err))
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{status.Error(codes.NotFound, "x"), Failed},
		{errors.New("local failure"), Failed},
		{fmt.Errorf("wrapped: %w", usageErr{"bad flag"}), Usage},
		{fmt.Errorf("watch: %w", context.Canceled), Interrupted},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if got := Message(usageErr{"casectl cases new: --sex: unknown value"}); got != "casectl cases new: --sex: unknown value" {
		t.Errorf("usage message %q", got)
	}
}

// TestConsentRefusalsByTheirReason: a refusal carrying a consent reason in
// google.rpc.ErrorInfo is worded by the reason, not by its message; a
// reason this casectl does not know is still named.
func TestConsentRefusalsByTheirReason(t *testing.T) {
	refusal := func(code string) error {
		st, err := status.New(codes.FailedPrecondition, "consent c1 does not allow this").
			WithDetails(&errdetails.ErrorInfo{Reason: code, Domain: reason.Domain})
		if err != nil {
			t.Fatal(err)
		}
		return Wrap(st.Err(), "refer SHA-2026-0001")
	}
	for code, want := range map[string]string{
		reason.ConsentExpired:     "refer SHA-2026-0001: not possible now: the person's consent this relies on has expired; record their consent again (CONSENT_EXPIRED): consent c1 does not allow this",
		reason.ConsentWithdrawn:   "the person has withdrawn the consent this relies on (CONSENT_WITHDRAWN)",
		reason.ConsentMissing:     "no consent of the person in force covers this; record their consent first (CONSENT_MISSING)",
		reason.ConsentRefused:     "the consent named records the person's refusal (CONSENT_REFUSED)",
		reason.ConsentNotCovering: "the consent named does not cover this recipient or purpose (CONSENT_NOT_COVERING)",
		"CONSENT_SOMETHING_NEW":   "not possible now: refused (CONSENT_SOMETHING_NEW): consent c1",
	} {
		if got := Message(refusal(code)); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to contain %q", code, got, want)
		}
	}
}
