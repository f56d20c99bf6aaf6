package caseaccess

import (
	"fmt"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// What a transfer leaves behind. Once a case was transferred away, its
// former owner keeps only what the person consented to: the case's status
// and coded attributes while a follow-up consent naming it is in force
// (FollowersSQL), nothing without one. The rules below apply that to the
// records the former owner made while it held the case, and to what a
// follower is shown of the case itself.

// SenderHolds reports whether the sender of a referral, from, still owns
// its case (owner now). While it does, the referral shows the case as it is
// now — its current reference and coded attributes — to both sides. Once
// the case moved on, the referral is a record of what the sender did while
// it held the case: it shows the reference the case had under the sender
// (ReferredReferenceSQL) and no coded attributes, to the sender and to its
// partner alike, so that neither follows what the case became under an
// owner that never shared it with them. The sender's texts follow the same
// rule (it reads them only while it holds the case).
func SenderHolds(owner, from string) bool { return owner == from }

// ReferredReferenceSQL is, for a referral aliased r of the case aliased c,
// the case's reference as the referral shows it (see SenderHolds): the
// current one while r's sender owns the case, otherwise the one the case
// had under the sender when it handed the case on — the from_reference of
// the first accepted transfer by the sender after the referral was made.
func ReferredReferenceSQL(r, c string) string {
	return fmt.Sprintf(`(CASE WHEN %[2]s.organization_id = %[1]s.from_organization THEN %[2]s.reference ELSE coalesce((
		SELECT t.from_reference FROM case_transfers t
		WHERE t.case_id = %[1]s.case_id AND t.from_organization = %[1]s.from_organization AND %[3]s
		  AND t.accept_time >= %[1]s.create_time
		ORDER BY t.accept_time LIMIT 1), '') END)`, r, c, transfer.AcceptedSQL("t"))
}

// Follows reports whether acc, a decision of the gate, lets its caller
// reach the case only as a follower: the organisation transferred the case
// away and follows it under the person's follow-up consent (FollowersSQL).
// Such a caller is shown FollowerView of the case, nothing more.
func Follows(acc authz.Access) bool { return acc.Shared && acc.Ceiling == authz.FollowUpCeiling }

// FollowerView is what a follower (Follows) is shown of case c: its
// id, its status and its coded attributes — what the follow-up consent
// covers. Everything else goes: the new owner's identity and reference, the
// assignment, the times, the etag (a follower changes nothing), erasure
// details and even which sensitive classes exist. Every read path that
// renders a case for a follower passes it through here.
func FollowerView(c *casebridgev1.Case) *casebridgev1.Case {
	if c == nil {
		return nil
	}
	return &casebridgev1.Case{Id: c.GetId(), Status: c.GetStatus(), Coded: c.GetCoded()}
}
