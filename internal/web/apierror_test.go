package web

import (
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/rpcerr/reason"
	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/locales"
)

// TestConsentRefusalsInPlainWords: a consent refusal is worded by the
// reason the server attached, whatever its message says, with a message of
// its own in every language. Before, the page matched the message's text,
// and a named consent that did not cover the referral ("does not allow
// this:") fell through to the general words.
func TestConsentRefusalsInPlainWords(t *testing.T) {
	cat, err := i18n.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{
		reason.ConsentMissing:     "error.precondition_no_consent",
		reason.ConsentNotCovering: "error.precondition_consent_mismatch",
		reason.ConsentExpired:     "error.consent_expired",
		reason.ConsentWithdrawn:   "error.consent_withdrawn",
		reason.ConsentRefused:     "error.consent_refused",
	} {
		err := rpcerr.FailedPreconditionReason(code, nil, "consent c1 does not allow this: it is something else")
		if got := explain(err, nil).Key; got != want {
			t.Errorf("%s: %s, want %s", code, got, want)
		}
		for _, tag := range i18n.Languages {
			if !cat.For(tag).Has(want) {
				t.Errorf("%s: no %s in %s", code, want, tag)
			}
		}
	}
	// Another domain's reason is not ours to word.
	st, _ := status.New(codes.FailedPrecondition, "is closed").WithDetails(&errdetails.ErrorInfo{Reason: reason.ConsentExpired, Domain: "example.com"})
	if got := explain(st.Err(), nil).Key; got != "error.precondition_closed" {
		t.Errorf("foreign reason: %s", got)
	}
}
