package stats

import (
	"strconv"

	"github.com/casebridge/casebridge/internal/disclosure"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// withheldReason says in the API's terms why a count was withheld: only
// a count below k is called primary, so that no reader takes a cell
// withheld for another reason — possibly a large one — for a small one.
func withheldReason(r disclosure.Reason) casebridgev1.WithheldReason {
	switch r {
	case disclosure.Published:
		return casebridgev1.WithheldReason_WITHHELD_REASON_UNSPECIFIED
	case disclosure.BelowK:
		return casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY
	case disclosure.ByCaller:
		// The indicators' rule of fewer than k persons: the count of
		// events it withholds is k or more (a smaller one is BelowK).
		return casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE
	case disclosure.Complement, disclosure.SmallSelection, disclosure.SmallRemainder:
		return casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING
	case disclosure.Contributor:
		return casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR
	case disclosure.Unverified:
		return casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED
	default:
		return casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY
	}
}

// figureReason says why a figure taken over a cell of events — a median,
// a sum of money, a share — was withheld. The cell being below k says the
// figure rests on few events, not that it is small: "fewer than k" would
// be a false bound on a median of 200 days.
func figureReason(r disclosure.Reason) casebridgev1.WithheldReason {
	if r == disclosure.BelowK {
		return casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE
	}
	return withheldReason(r)
}

// reasonText is how an export writes a reason, in words a reader of the
// file understands.
func reasonText(r casebridgev1.WithheldReason, k int64) string {
	switch r {
	case casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:
		return "fewer than " + strconv.FormatInt(k, 10)
	case casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR:
		return "one organisation"
	case casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING:
		return "differencing"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY:
		return "protects another cell"
	case casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED:
		return "not verified in time"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE:
		return "rests on fewer than " + strconv.FormatInt(k, 10)
	}
	return ""
}
