package limits

import (
	"testing"

	"github.com/casebridge/casebridge/internal/disclosure"
)

// TestStatsTimeoutOutlastsTheAudit: a statistics call must outlast the
// attacker's audit of its table, with time to count and answer, so that a
// table the audit cannot finish is answered withheld ("not verified in
// time") rather than cut off with DeadlineExceeded. The budget was once
// 30 s against a 20 s call.
func TestStatsTimeoutOutlastsTheAudit(t *testing.T) {
	timeout := Defaults().Classes[Stats].Timeout
	if budget := disclosure.DefaultAuditBudget; 2*budget > timeout {
		t.Fatalf("audit budget %v leaves less than half of the statistics call's %v to count and answer", budget, timeout)
	}
}
