package caseaccess

import (
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// CheckWorkable refuses (FailedPrecondition) casework — a support plan, a
// service, an approval — on a case that is erased or closed: what is
// planned and done for a person is recorded while the case is worked on;
// a closed case is reopened first.
func (f Facts) CheckWorkable() error {
	switch {
	case f.Erased:
		return rpcerr.FailedPrecondition("case %s is erased", f.ID)
	case f.Status == StatusClosed:
		return rpcerr.FailedPrecondition("case %s is closed: reopen it before changing its casework", f.ID)
	}
	return nil
}
