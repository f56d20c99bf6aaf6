package referral

import (
	"fmt"
	"slices"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Status is a referral's status; the number stored in referrals.status is
// the API enum's value.
type Status = casebridgev1.ReferralStatus

// The statuses of a referral.
const (
	Pending   = casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING
	Accepted  = casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED
	Declined  = casebridgev1.ReferralStatus_REFERRAL_STATUS_DECLINED
	Completed = casebridgev1.ReferralStatus_REFERRAL_STATUS_COMPLETED
	Withdrawn = casebridgev1.ReferralStatus_REFERRAL_STATUS_WITHDRAWN
	Revoked   = casebridgev1.ReferralStatus_REFERRAL_STATUS_REVOKED
)

// open are the statuses in which a referral still stands on its consent:
// asked and not answered, or accepted and not ended.
var open = []Status{Pending, Accepted}

// Stored is s as stored in referrals.status.
func Stored(s Status) int16 { return int16(s) }

// Shares reports whether a referral in status s shares its case with the
// receiver. Its SQL twin is AcceptedSQL.
func Shares(s Status) bool { return s == Accepted }

// AcceptedSQL is the condition "the referral aliased r shares its case":
// the SQL twin of Shares.
func AcceptedSQL(r string) string { return fmt.Sprintf("%s.status = %d", r, Stored(Accepted)) }

// IsOpen reports whether a referral in status s still stands on its
// consent, so that withdrawing or losing the consent ends it. Its SQL twin
// is OpenSQL.
func IsOpen(s Status) bool { return slices.Contains(open, s) }

// OpenSQL is the condition "the referral aliased r is open": the SQL twin
// of IsOpen.
func OpenSQL(r string) string {
	nums := make([]string, len(open))
	for i, s := range open {
		nums[i] = fmt.Sprint(Stored(s))
	}
	return fmt.Sprintf("%s.status IN (%s)", r, strings.Join(nums, ", "))
}

// Word is s as a lowercase word ("accepted"), for messages.
func Word(s Status) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REFERRAL_STATUS_"))
}

// Words is ss as a comma-separated list of words.
func Words(ss []Status) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = Word(s)
	}
	return strings.Join(words, ", ")
}
