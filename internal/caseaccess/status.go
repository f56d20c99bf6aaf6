package caseaccess

import (
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The case statuses the rules below name.
const (
	StatusOpen         = casebridgev1.CaseStatus_CASE_STATUS_OPEN
	StatusInAssistance = casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE
	StatusSuspended    = casebridgev1.CaseStatus_CASE_STATUS_SUSPENDED
	StatusClosed       = casebridgev1.CaseStatus_CASE_STATUS_CLOSED
)

// CheckReferrable refuses (FailedPrecondition) to refer a case that is
// erased or closed: a referral shares a person's data with another
// organisation, which only a case still being worked on justifies.
func (f Facts) CheckReferrable() error {
	switch {
	case f.Erased:
		return rpcerr.FailedPrecondition("case %s is erased", f.ID)
	case f.Status == StatusClosed:
		return rpcerr.FailedPrecondition("case %s is closed: reopen it before referring it", f.ID)
	}
	return nil
}

// CheckTransferable refuses (FailedPrecondition) to transfer a case that is
// erased or closed: handing a case on means another organisation carries on
// the work, which a closed case has ended, and an erased one has nothing
// left to hand on.
func (f Facts) CheckTransferable() error {
	switch {
	case f.Erased:
		return rpcerr.FailedPrecondition("case %s is erased", f.ID)
	case f.Status == StatusClosed:
		return rpcerr.FailedPrecondition("case %s is closed: reopen it before transferring it", f.ID)
	}
	return nil
}
