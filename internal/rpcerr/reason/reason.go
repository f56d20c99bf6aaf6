// Package reason holds the machine-readable reasons Casebridge attaches to
// a refusal in google.rpc.ErrorInfo, for clients (the web client, casectl)
// to say in the user's words instead of reading the message. It depends on
// nothing of the server's, so that clients can import it alone.
package reason

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// Domain is the google.rpc.ErrorInfo domain of Casebridge's reasons.
const Domain = "casebridge.v1"

// The reasons a change is refused for lack of the person's consent, sent
// in google.rpc.ErrorInfo with a FailedPrecondition (metadata: consent_id
// when a consent was named or relied on, purpose). Clients say them in the
// user's words instead of reading the message, which is English for
// operators. They are part of the API: never renamed, only added to.
const (
	// ConsentMissing: no consent in force covers the recipient and
	// purpose (or the consent named does not exist for the case).
	ConsentMissing = "CONSENT_MISSING"
	// ConsentExpired: the consent relied on has lapsed.
	ConsentExpired = "CONSENT_EXPIRED"
	// ConsentWithdrawn: the person withdrew the consent relied on.
	ConsentWithdrawn = "CONSENT_WITHDRAWN"
	// ConsentRefused: the consent named records the person's refusal.
	ConsentRefused = "CONSENT_REFUSED"
	// ConsentNotCovering: the consent named is for another purpose
	// or another recipient than the change needs.
	ConsentNotCovering = "CONSENT_NOT_COVERING"
)

// Of is the reason of a status's google.rpc.ErrorInfo in Domain, and its
// metadata; "" when it has none.
func Of(st *status.Status) (string, map[string]string) {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == Domain {
			return info.GetReason(), info.GetMetadata()
		}
	}
	return "", nil
}
