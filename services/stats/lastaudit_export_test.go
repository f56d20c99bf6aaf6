package stats

import "github.com/casebridge/casebridge/internal/disclosure"

// LastAudit is the audit report of the last table s counted afresh, for
// the benchmark's figures.
func LastAudit(s *Service) disclosure.AuditReport {
	if a := s.lastAudit.Load(); a != nil {
		return *a
	}
	return disclosure.AuditReport{}
}
