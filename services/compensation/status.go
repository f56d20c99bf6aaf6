package compensation

import (
	"slices"
	"strings"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var (
	draft            = casebridgev1.ClaimStatus_CLAIM_STATUS_DRAFT
	filed            = casebridgev1.ClaimStatus_CLAIM_STATUS_FILED
	awarded          = casebridgev1.ClaimStatus_CLAIM_STATUS_AWARDED
	partiallyAwarded = casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_AWARDED
	rejected         = casebridgev1.ClaimStatus_CLAIM_STATUS_REJECTED
	appealed         = casebridgev1.ClaimStatus_CLAIM_STATUS_APPEALED
	paid             = casebridgev1.ClaimStatus_CLAIM_STATUS_PAID
	partiallyPaid    = casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID
	unenforceable    = casebridgev1.ClaimStatus_CLAIM_STATUS_UNENFORCEABLE
)

// transition is one event in a claim's life and the statuses it may happen
// in. Together they are the whole lifecycle:
//
//	draft → filed → awarded / partially awarded / rejected
//	      → (appealed → awarded / partially awarded / rejected)
//	      → partially paid / paid / unenforceable
//
// Where an event leads depends on amounts (an award below the claim is
// partial, payments settle to partially paid or paid), so the destination
// is computed by the handler; the table says only where it may start.
type transition struct {
	verb string
	from []casebridgev1.ClaimStatus
}

var (
	fileClaim = transition{"file", []casebridgev1.ClaimStatus{draft}}
	// A decision is recorded on a filed claim or on an appeal.
	recordAward = transition{"record an award on", []casebridgev1.ClaimStatus{filed, appealed}}
	rejectClaim = transition{"reject", []casebridgev1.ClaimStatus{filed, appealed}}
	// Either side may appeal a decision, favourable or not.
	appealClaim = transition{"appeal", []casebridgev1.ClaimStatus{awarded, partiallyAwarded, rejected}}
	// An award that cannot be collected, in full or in its remainder.
	markUnenforceable = transition{"mark unenforceable", []casebridgev1.ClaimStatus{awarded, partiallyAwarded, partiallyPaid}}
	// Money arrives on an award: also while it is under appeal (the payer
	// may pay the undisputed part) and after it was found unenforceable
	// (some does come in). The handler also requires an award to exist,
	// which an appeal against a rejection lacks.
	recordPayment = transition{"record a payment on", []casebridgev1.ClaimStatus{awarded, partiallyAwarded, partiallyPaid, paid, unenforceable, appealed}}
)

// transitions lists every event, for the table test.
var transitions = []transition{fileClaim, recordAward, rejectClaim, appealClaim, markUnenforceable, recordPayment}

// check reports whether the event may happen in status, naming the status
// and the allowed ones when it may not.
func (t transition) check(status casebridgev1.ClaimStatus) error {
	if slices.Contains(t.from, status) {
		return nil
	}
	return rpcerr.FailedPrecondition("cannot %s a claim that is %s (allowed when: %s)", t.verb, statusWord(status), statusWords(t.from))
}

func statusWord(s casebridgev1.ClaimStatus) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.String(), "CLAIM_STATUS_"), "_", " "))
}

func statusWords(ss []casebridgev1.ClaimStatus) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = statusWord(s)
	}
	return strings.Join(words, ", ")
}

// awardStatus is the status a fresh award gives: partial when it is less
// than the amount claimed.
func awardStatus(c *claimRow) casebridgev1.ClaimStatus {
	if c.Claimed != nil && c.Awarded != nil && *c.Awarded < *c.Claimed {
		return partiallyAwarded
	}
	return awarded
}

// settle sets the status an awarded claim has given what its ledger holds.
// An appeal stays an appeal until decided; an unenforceable award stays so
// until it is paid in full after all.
func settle(c *claimRow) {
	if c.Awarded == nil {
		return
	}
	full := c.Paid >= *c.Awarded
	switch c.Status {
	case appealed:
	case unenforceable:
		if full {
			c.Status = paid
		}
	case awarded, partiallyAwarded, partiallyPaid, paid:
		switch {
		case full:
			c.Status = paid
		case c.Paid > 0:
			c.Status = partiallyPaid
		default:
			c.Status = awardStatus(c)
		}
	}
}
