package compensation_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestCompensationCallsAreAudited: the auditor sees, under the case, every
// change to its claims and ledger — each committed by the change's own
// transaction, acting for which organisation, naming no sensitive class —
// and the reads of a claim that name only its id. A refused read and a
// failed transition are on record, and the failed transition left no OK
// event.
func TestCompensationCallsAreAudited(t *testing.T) {
	w := start(t)
	lw, cw := w.as(lawyer), w.as(caseworker)
	caseID := w.referredCase()

	created, err := w.cc.CreateClaim(withRID(lw, "claim-create"), &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type:          casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: "Farm Ltd"},
		AmountClaimed: eur(500_000),
	}})
	if err != nil {
		t.Fatal(err)
	}
	claimID := created.GetClaim().GetId()
	if _, err := w.cc.FileClaim(withRID(lw, "claim-file"), &casebridgev1.FileClaimRequest{Id: claimID, FiledDate: "2025-01-15"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.RecordAward(withRID(lw, "claim-award"), &casebridgev1.RecordAwardRequest{Id: claimID, Amount: eur(300_000), DecisionDate: "2025-06-02"}); err != nil {
		t.Fatal(err)
	}
	payReq := &casebridgev1.RecordPaymentRequest{ClaimId: claimID, Amount: eur(100_000), PaidDate: "2025-07-01", RequestId: "0d6f3f4e-8a51-4c1e-b7a4-6a3e2f9d5c21"}
	paid, err := w.cc.RecordPayment(withRID(lw, "payment"), payReq)
	if err != nil {
		t.Fatal(err)
	}
	// A retry pays nothing: no change event commits, the call is still on record.
	if _, err := w.cc.RecordPayment(withRID(lw, "payment-retry"), payReq); err != nil {
		t.Fatal(err)
	}
	// Failed: an awarded claim cannot be filed again.
	_, err = w.cc.FileClaim(withRID(lw, "claim-file-again"), &casebridgev1.FileClaimRequest{Id: claimID})
	wantCode(t, err, codes.FailedPrecondition)

	if _, err := w.cc.GetClaim(withRID(cw, "claim-get"), &casebridgev1.GetClaimRequest{Id: claimID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.ListPayments(withRID(lw, "payments"), &casebridgev1.ListPaymentsRequest{ClaimId: claimID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cc.GetClaimSummary(withRID(lw, "summary"), &casebridgev1.GetClaimSummaryRequest{CaseId: caseID}); err != nil {
		t.Fatal(err)
	}
	// Refused: cso-c cannot tell the claim exists.
	_, err = w.cc.GetClaim(withRID(w.as(otherCW), "claim-get-refused"), &casebridgev1.GetClaimRequest{Id: claimID})
	wantCode(t, err, codes.NotFound)

	const (
		svc = "/casebridge.v1.CompensationService/"
		lb  = "legal-b"
	)
	tr := readTrail(t, w.env, caseID)
	tr.check(t, "claim-create", svc+"CreateClaim", lawyer, expect{"OK", lb, nil})
	tr.check(t, "claim-file", svc+"FileClaim", lawyer, expect{"OK", lb, nil})
	tr.check(t, "claim-award", svc+"RecordAward", lawyer, expect{"OK", lb, nil})
	ev := tr.check(t, "payment", svc+"RecordPayment", lawyer, expect{"OK", lb, nil})
	sameTx(t, w.env, ev[0], `SELECT xmin FROM claim_payments WHERE id = $1`, paid.GetPayment().GetId())
	tr.check(t, "payment-retry", svc+"RecordPayment", lawyer, expect{"OK", lb, nil})
	tr.check(t, "claim-file-again", svc+"FileClaim", lawyer, expect{"FAILED_PRECONDITION", lb, nil})
	tr.check(t, "claim-get", svc+"GetClaim", caseworker, expect{"OK", "shelter-a", nil})
	tr.check(t, "payments", svc+"ListPayments", lawyer, expect{"OK", lb, nil})
	tr.check(t, "summary", svc+"GetClaimSummary", lawyer, expect{"OK", lb, nil})
	tr.check(t, "claim-get-refused", svc+"GetClaim", otherCW, expect{"NOT_FOUND", "cso-c", nil})
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
