package referrals_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestReferralCallsAreAudited: the auditor sees, under the case, who made,
// read and accepted a referral, acting for which organisation, each
// change's event committed by the change's own transaction; a refused
// attempt and a failed transition are on record, and the failed
// transition left no OK event.
func TestReferralCallsAreAudited(t *testing.T) {
	w := start(t)
	id := w.newCase()
	w.consentFor(id, "legal-b", legalRep)

	created, err := w.rs.CreateReferral(withRID(w.as(caseworker), "ref-create"), &casebridgev1.CreateReferralRequest{
		CaseId: id, ToOrganizationId: "legal-b", Service: legalService, GrantedClasses: []casebridgev1.DataClass{identity, legal},
	})
	if err != nil {
		t.Fatal(err)
	}
	refID := created.GetReferral().GetId()
	if _, err := w.rs.GetReferral(withRID(w.as(lawyer), "ref-get"), &casebridgev1.GetReferralRequest{Id: refID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.AcceptReferral(withRID(w.as(lawyer), "ref-accept"), &casebridgev1.AcceptReferralRequest{Id: refID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.GetCaseSharing(withRID(w.as(lawyer), "ref-sharing"), &casebridgev1.GetCaseSharingRequest{CaseId: id}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c neither sent nor received the referral.
	_, err = w.rs.GetReferral(withRID(w.as(csoWorker), "ref-get-refused"), &casebridgev1.GetReferralRequest{Id: refID})
	wantCode(t, err, codes.NotFound)
	// Failed: an accepted referral cannot be declined.
	_, err = w.rs.DeclineReferral(withRID(w.as(lawyer), "ref-decline-accepted"), &casebridgev1.DeclineReferralRequest{Id: refID, Reason: "too late"})
	wantCode(t, err, codes.FailedPrecondition)

	tr := readTrail(t, w.env, id)
	ev := tr.check(t, "ref-create", casebridgev1.ReferralService_CreateReferral_FullMethodName, caseworker, expect{"OK", "shelter-a", nil})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM referral_events WHERE referral_id = $1 AND event_type = 1 LIMIT 1`, refID)
	tr.check(t, "ref-get", casebridgev1.ReferralService_GetReferral_FullMethodName, lawyer, expect{"OK", "legal-b", nil})
	ev = tr.check(t, "ref-accept", casebridgev1.ReferralService_AcceptReferral_FullMethodName, lawyer, expect{"OK", "legal-b", nil})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM referral_events WHERE referral_id = $1 AND event_type = 2 LIMIT 1`, refID)
	tr.check(t, "ref-sharing", casebridgev1.ReferralService_GetCaseSharing_FullMethodName, lawyer, expect{"OK", "legal-b", nil})
	tr.check(t, "ref-get-refused", casebridgev1.ReferralService_GetReferral_FullMethodName, csoWorker, expect{"NOT_FOUND", "cso-c", nil})
	tr.check(t, "ref-decline-accepted", casebridgev1.ReferralService_DeclineReferral_FullMethodName, lawyer, expect{"FAILED_PRECONDITION", "legal-b", nil})
}

// withRID makes the call carry request id rid, which its audit events repeat.
func withRID(ctx context.Context, rid string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-request-id", rid)
}

// trail is the audit trail of one case as the network's auditor reads it,
// by request id.
type trail map[string][]*casebridgev1.AuditEvent

func readTrail(t *testing.T, env *servertest.Env, caseID string) trail {
	t.Helper()
	resp, err := casebridgev1.NewAuditServiceClient(env.Conn).ListEvents(env.As(t, "auditor@network"),
		&casebridgev1.ListEventsRequest{CaseId: caseID, PageSize: 500})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	tr := trail{}
	for _, e := range resp.GetEvents() {
		tr[e.GetRequestId()] = append(tr[e.GetRequestId()], e)
	}
	return tr
}

// expect is one event a call must leave: its result, the organisation the
// caller acted for and the sensitive classes.
type expect struct {
	code    string
	org     string
	classes []casebridgev1.DataClass
}

// check asserts that call rid, of method by subject, left exactly the
// events want (in any order) and returns them in that order.
func (tr trail) check(t *testing.T, rid, method, subject string, want ...expect) []*casebridgev1.AuditEvent {
	t.Helper()
	got := tr[rid]
	if len(got) != len(want) {
		t.Fatalf("call %s: %d audit events, want %d: %v", rid, len(got), len(want), got)
	}
	out := make([]*casebridgev1.AuditEvent, len(want))
	used := make([]bool, len(got))
	for i, x := range want {
		for j, e := range got {
			if !used[j] && e.GetResultCode() == x.code && e.GetOrganizationId() == x.org && slices.Equal(e.GetClasses(), x.classes) {
				used[j], out[i] = true, e
				break
			}
		}
		if out[i] == nil {
			t.Fatalf("call %s: no audit event %+v among %v", rid, x, got)
		}
	}
	for _, e := range got {
		if e.GetMethod() != method || e.GetSubject() != subject {
			t.Fatalf("call %s: event of %s by %s, want %s by %s", rid, e.GetMethod(), e.GetSubject(), method, subject)
		}
	}
	return out
}

// sameTx asserts that event ev was written by the transaction that last
// wrote the row rowSQL selects (its xmin).
func sameTx(t *testing.T, env *servertest.Env, ev *casebridgev1.AuditEvent, rowSQL string, args ...any) {
	t.Helper()
	var eventXID, rowXID int64
	ctx := context.Background()
	if err := env.Pool.QueryRow(ctx, `SELECT xid % 4294967296 FROM audit_events WHERE id = $1`, ev.GetId()).Scan(&eventXID); err != nil {
		t.Fatalf("xid of event %s: %v", ev.GetId(), err)
	}
	if err := env.Pool.QueryRow(ctx, `SELECT xmin::text::bigint FROM (`+rowSQL+`) AS r`, args...).Scan(&rowXID); err != nil {
		t.Fatalf("xmin of the changed row: %v", err)
	}
	if eventXID != rowXID {
		t.Fatalf("event %s (%s) was written by transaction %d, the change by %d", ev.GetId(), ev.GetMethod(), eventXID, rowXID)
	}
}
