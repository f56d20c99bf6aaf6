package servertest

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/metadata"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// WithRequestID makes a call carry request id rid, which its audit events
// repeat: a test can then find exactly the events of one call.
func WithRequestID(ctx context.Context, rid string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-request-id", rid)
}

// AuditTrail is the audit trail of one case as the network's auditor reads
// it, by request id.
type AuditTrail map[string][]*casebridgev1.AuditEvent

// AuditTrail reads case caseID's events through AuditService.
func (e *Env) AuditTrail(t testing.TB, caseID string) AuditTrail {
	t.Helper()
	resp, err := casebridgev1.NewAuditServiceClient(e.Conn).ListEvents(e.As(t, "auditor@network"),
		&casebridgev1.ListEventsRequest{CaseId: caseID, PageSize: 500})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	tr := AuditTrail{}
	for _, ev := range resp.GetEvents() {
		tr[ev.GetRequestId()] = append(tr[ev.GetRequestId()], ev)
	}
	return tr
}

// AuditExpect is one event a call must leave: its result, the organisation
// the caller acted for and the sensitive classes.
type AuditExpect struct {
	Code    string
	Org     string
	Classes []casebridgev1.DataClass
}

// Check asserts that call rid, of method by subject, left exactly the
// events want (in any order) and returns them in that order.
func (tr AuditTrail) Check(t testing.TB, rid, method, subject string, want ...AuditExpect) []*casebridgev1.AuditEvent {
	t.Helper()
	got := tr[rid]
	if len(got) != len(want) {
		t.Fatalf("call %s: %d audit events, want %d: %v", rid, len(got), len(want), got)
	}
	out := make([]*casebridgev1.AuditEvent, len(want))
	used := make([]bool, len(got))
	for i, x := range want {
		for j, ev := range got {
			if !used[j] && ev.GetResultCode() == x.Code && ev.GetOrganizationId() == x.Org && slices.Equal(ev.GetClasses(), x.Classes) {
				used[j], out[i] = true, ev
				break
			}
		}
		if out[i] == nil {
			t.Fatalf("call %s: no audit event %+v among %v", rid, x, got)
		}
	}
	for _, ev := range got {
		if ev.GetMethod() != method || ev.GetSubject() != subject {
			t.Fatalf("call %s: event of %s by %s, want %s by %s", rid, ev.GetMethod(), ev.GetSubject(), method, subject)
		}
	}
	return out
}

// SameTx asserts that event ev was written by the transaction that last
// wrote the row rowSQL selects (its xmin): a change and its audit event
// commit together.
func (e *Env) SameTx(t testing.TB, ev *casebridgev1.AuditEvent, rowSQL string, args ...any) {
	t.Helper()
	var eventXID, rowXID int64
	ctx := context.Background()
	if err := e.Pool.QueryRow(ctx, `SELECT xid % 4294967296 FROM audit_events WHERE id = $1`, ev.GetId()).Scan(&eventXID); err != nil {
		t.Fatalf("xid of event %s: %v", ev.GetId(), err)
	}
	if err := e.Pool.QueryRow(ctx, `SELECT xmin::text::bigint FROM (`+rowSQL+`) AS r`, args...).Scan(&rowXID); err != nil {
		t.Fatalf("xmin of the changed row: %v", err)
	}
	if eventXID != rowXID {
		t.Fatalf("event %s (%s) was written by transaction %d, the change by %d", ev.GetId(), ev.GetMethod(), eventXID, rowXID)
	}
}
