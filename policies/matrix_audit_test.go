package policies_test

import (
	"context"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Auditors read the log of every organisation: "other" is an auditor
// member of another organisation, who is just as much an auditor.
func init() {
	audit := func(w *world) casebridgev1.AuditServiceClient { return casebridgev1.NewAuditServiceClient(w.env.Conn) }
	mergeProbes(map[string]probe{
		"AuditService/ListEvents": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
			_, err := audit(w).ListEvents(ctx, &casebridgev1.ListEventsRequest{CaseId: fx.caseID})
			return err
		}},
		"AuditService/VerifyChain": {none, func(w *world, ctx context.Context, _ fixture) error {
			_, err := audit(w).VerifyChain(ctx, &casebridgev1.VerifyChainRequest{})
			return err
		}},
	})
}
