// Package explain turns the errors casectl meets into plain words and an
// exit status. People at a shelter read these messages, so they say what
// went wrong and what to do — "not found (or you may not see it)", the
// field that was refused — never a Go type, a gRPC code number or a stack.
package explain

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr/reason"
)

// Exit statuses.
const (
	// Failed: a call was refused or failed, or local input could not be used.
	Failed = 1
	// Usage: the command line was wrong; nothing was sent.
	Usage = 2
	// Interrupted: stopped by Ctrl-C (128 + SIGINT, as shells report it).
	Interrupted = 130
)

// grpcStatus is an error carrying a gRPC status, as the client returns.
type grpcStatus interface {
	error
	GRPCStatus() *status.Status
}

type exitCoder interface{ ExitCode() int }

// ExitCode is the status casectl exits with after err.
func ExitCode(err error) int {
	var ec exitCoder
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return ec.ExitCode()
	case errors.Is(err, context.Canceled):
		return Interrupted
	default:
		return Failed
	}
}

// Message says what err means, in plain words, prefixed with the context the
// command wrapped around it ("show case SHA-2026-0001: not found ...").
func Message(err error) string {
	if err == nil {
		return ""
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		// Usage errors carry their own wording.
		return err.Error()
	}
	var gs grpcStatus
	if errors.As(err, &gs) {
		prefix := strings.TrimSuffix(err.Error(), gs.Error())
		return prefix + describe(gs.GRPCStatus(), hintsOf(err))
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded):
		return strings.TrimSuffix(err.Error(), context.DeadlineExceeded.Error()) +
			"the server did not answer in time (try again, or a longer --timeout)"
	}
	return err.Error()
}

// describe words one gRPC status.
func describe(st *status.Status, hints map[string]string) string {
	msg := st.Message()
	switch st.Code() {
	case codes.InvalidArgument:
		return invalidArgument(st, hints)
	case codes.NotFound:
		return "not found (or you may not see it)"
	case codes.FailedPrecondition:
		if code, _ := reason.Of(st); code != "" {
			return "not possible now: " + reasonWords(code) + " (" + code + "): " + msg
		}
		return "not possible now: " + msg
	case codes.Aborted:
		return "someone changed it meanwhile; look at it again and retry (" + msg + ")"
	case codes.AlreadyExists:
		return "already exists: " + msg
	case codes.Unauthenticated:
		return "not signed in: " + msg + "; run 'casectl login' again"
	case codes.PermissionDenied:
		return "your role does not allow this: " + msg
	case codes.Unavailable:
		return unavailable(msg)
	case codes.Unimplemented:
		return "the server does not offer this yet (" + msg + ")"
	case codes.DeadlineExceeded:
		return "the server did not answer in time (try again, or a longer --timeout)"
	case codes.ResourceExhausted:
		return "too much at once: " + msg
	case codes.DataLoss:
		return "stored data failed its integrity check; tell your administrator (" + msg + ")"
	case codes.Canceled:
		return "interrupted"
	default:
		return "the server failed: " + msg
	}
}

// consentWords say each reason the server gives for refusing a change the
// person's consent does not allow.
var consentWords = map[string]string{
	reason.ConsentMissing:     "no consent of the person in force covers this; record their consent first",
	reason.ConsentExpired:     "the person's consent this relies on has expired; record their consent again",
	reason.ConsentWithdrawn:   "the person has withdrawn the consent this relies on",
	reason.ConsentRefused:     "the consent named records the person's refusal",
	reason.ConsentNotCovering: "the consent named does not cover this recipient or purpose",
}

// reasonWords is a refusal's reason in plain words; one this casectl does
// not know yet is named as the server sent it.
func reasonWords(code string) string {
	if w, ok := consentWords[code]; ok {
		return w
	}
	return "refused"
}
