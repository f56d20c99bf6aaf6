package web

import (
	"errors"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/rpcerr/reason"
)

// apiError is an API refusal as a page shows it: a message id for the top
// of the page, and per form field the message id to show beside it.
type apiError struct {
	Status int
	Key    string
	// Fields maps a form field's name to its message id.
	Fields map[string]string
}

// explain turns an API error into what the page says. fieldOf maps the
// server's field path (from InvalidArgument's field violations, e.g.
// "case.coded.nationality") to the form field beside which it is shown;
// nil, or "" from it, shows it at the top only.
func explain(err error, fieldOf func(string) string) apiError {
	st, _ := status.FromError(err)
	e := apiError{Status: http.StatusBadGateway, Key: "error.internal"}
	switch st.Code() {
	case codes.InvalidArgument:
		e.Status, e.Key = http.StatusUnprocessableEntity, "error.invalid"
		for _, f := range rpcerr.Fields(st) {
			if fieldOf == nil {
				continue
			}
			if name := fieldOf(f); name != "" {
				if e.Fields == nil {
					e.Fields = map[string]string{}
				}
				e.Fields[name] = "error.field_invalid"
			}
		}
	case codes.NotFound:
		e.Status, e.Key = http.StatusNotFound, "error.not_found"
	case codes.PermissionDenied:
		e.Status, e.Key = http.StatusForbidden, "error.permission_denied"
	case codes.FailedPrecondition:
		e.Status, e.Key = http.StatusConflict, consentKey(st)
		if e.Key == "" {
			e.Key = preconditionKey(st.Message())
		}
	case codes.Aborted:
		e.Status, e.Key = http.StatusConflict, "error.aborted"
	case codes.Unauthenticated:
		e.Status, e.Key = http.StatusUnauthorized, "error.unauthenticated"
	case codes.Unavailable, codes.DeadlineExceeded:
		e.Status, e.Key = http.StatusServiceUnavailable, "error.unavailable"
	case codes.ResourceExhausted:
		e.Status, e.Key = http.StatusTooManyRequests, "error.exhausted"
	case codes.AlreadyExists:
		e.Status, e.Key = http.StatusConflict, "error.already_exists"
	}
	return e
}

// consentKeys are the words for each reason the server gives (in
// google.rpc.ErrorInfo) for refusing a change the person's consent does
// not allow.
var consentKeys = map[string]string{
	reason.ConsentMissing:     "error.precondition_no_consent",
	reason.ConsentNotCovering: "error.precondition_consent_mismatch",
	reason.ConsentExpired:     "error.consent_expired",
	reason.ConsentWithdrawn:   "error.consent_withdrawn",
	reason.ConsentRefused:     "error.consent_refused",
}

// consentKey is the message id of a consent refusal, chosen by the reason
// the server attached (never by the message's text), or "" for any other
// refusal.
func consentKey(st *status.Status) string {
	code, _ := reason.Of(st)
	return consentKeys[code]
}

// preconditionKey names, in the user's words, why the server refused a
// change that is not about consent: the server's message is English for
// operators, so the page says the reason the message starts with, and a
// general one otherwise.
func preconditionKey(msg string) string {
	switch {
	case strings.Contains(msg, "is erased"):
		return "error.precondition_erased"
	case strings.Contains(msg, "is closed"):
		return "error.precondition_closed"
	case strings.HasPrefix(msg, "cannot "):
		return "error.precondition_transition"
	}
	return "error.precondition"
}

// isCode says whether err is an API error with code c.
func isCode(err error, c codes.Code) bool {
	var e interface{ GRPCStatus() *status.Status }
	return errors.As(err, &e) && e.GRPCStatus().Code() == c
}
