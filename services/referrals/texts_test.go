package referrals_test

import (
	"context"
	"testing"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// plainEndReasons returns the end reasons of caseID's referrals that hold
// marker in plain text.
func (w *world) plainEndReasons(caseID, marker string) []string {
	w.t.Helper()
	rows, err := w.env.Pool.Query(context.Background(),
		`SELECT end_reason FROM referrals WHERE case_id = $1 AND strpos(coalesce(end_reason, ''), $2) > 0`, caseID, marker)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// The reason a sender gives for withdrawing or revoking is free text about
// the person: sealed with the referral's texts, never in a plain column,
// read back by the sender, and shredded by erasure.
func TestEndReasonsAreSealed(t *testing.T) {
	w := start(t)
	id := w.newCase()
	w.consentFor(id, "legal-b", legalRep)
	r := w.refer(id, "legal-b", legalService, identity)
	const withdrawWhy = "Marker-Withdraw-5150 she moved to the safe flat"
	if _, err := w.rs.WithdrawReferral(w.as(caseworker), &casebridgev1.WithdrawReferralRequest{Id: r.GetId(), Reason: withdrawWhy}); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	w.consentFor(id, "cso-c", assistance)
	r2 := w.refer(id, "cso-c", psychosocial, care)
	w.accept(csoWorker, r2.GetId())
	const revokeWhy = "Marker-Revoke-5150 a relative works there"
	if _, err := w.rs.RevokeSharing(w.as(caseworker), &casebridgev1.RevokeSharingRequest{Id: r2.GetId(), Reason: revokeWhy}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got := w.plainEndReasons(id, "Marker-"); len(got) != 0 {
		t.Errorf("end reasons in plain columns: %q", got)
	}
	for ref, want := range map[string]string{r.GetId(): withdrawWhy, r2.GetId(): revokeWhy} {
		got, err := w.rs.GetReferral(w.as(caseworker), &casebridgev1.GetReferralRequest{Id: ref})
		if err != nil {
			t.Fatalf("GetReferral %s: %v", ref, err)
		}
		if got.GetReferral().GetEndReason() != want {
			t.Errorf("sender reads end reason %q, want %q", got.GetReferral().GetEndReason(), want)
		}
	}
	if _, err := w.cs.EraseCase(w.as(supervisor), &casebridgev1.EraseCaseRequest{Id: id, Reason: "the person asked"}); err != nil {
		t.Fatalf("erase: %v", err)
	}
	for _, ref := range []string{r.GetId(), r2.GetId()} {
		got, err := w.rs.GetReferral(w.as(caseworker), &casebridgev1.GetReferralRequest{Id: ref})
		if err != nil {
			t.Fatalf("GetReferral %s after erasure: %v", ref, err)
		}
		if got.GetReferral().GetEndReason() != "" {
			t.Errorf("end reason readable after erasure: %q", got.GetReferral().GetEndReason())
		}
	}
}

// Once the sender revokes a referral, the receiver no longer reads its
// texts: revocation ends its access to what the referral said.
func TestRevokedReceiverNoLongerReadsTexts(t *testing.T) {
	w := start(t)
	id := w.newCase()
	w.consentFor(id, "cso-c", assistance)
	resp, err := w.rs.CreateReferral(w.as(caseworker), &casebridgev1.CreateReferralRequest{
		CaseId: id, ToOrganizationId: "cso-c", Service: psychosocial, GrantedClasses: []casebridgev1.DataClass{identity},
		Message: "Marker-Message-5150 now at the safe house",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetReferral()
	w.accept(csoWorker, r.GetId())
	before, err := w.rs.GetReferral(w.as(csoWorker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
	if err != nil || before.GetReferral().GetMessage() == "" {
		t.Fatalf("receiver of an accepted referral should read its message: %v %q", err, before.GetReferral().GetMessage())
	}
	if _, err := w.rs.RevokeSharing(w.as(caseworker), &casebridgev1.RevokeSharingRequest{Id: r.GetId()}); err != nil {
		t.Fatal(err)
	}
	got, err := w.rs.GetReferral(w.as(csoWorker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
	if err != nil {
		t.Fatalf("GetReferral after revocation: %v", err)
	}
	if m := got.GetReferral().GetMessage(); m != "" {
		t.Errorf("revoked receiver reads the message: %q", m)
	}
	list, err := w.rs.ListReferrals(w.as(csoWorker), &casebridgev1.ListReferralsRequest{OrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list.GetReferrals() {
		if x.GetId() == r.GetId() && x.GetMessage() != "" {
			t.Errorf("revoked receiver lists the message: %q", x.GetMessage())
		}
	}
	owner, err := w.rs.GetReferral(w.as(caseworker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
	if err != nil || owner.GetReferral().GetMessage() == "" {
		t.Errorf("the sender still reads its own message: %v %q", err, owner.GetReferral().GetMessage())
	}
}

// A request id names one create: reused for another case it is refused,
// and a genuine retry, which returns the first attempt's message, is an
// audited read naming the class of the texts.
func TestRetriedReferralIsBoundToItsCase(t *testing.T) {
	w := start(t)
	x := w.newCase()
	y := w.newCase()
	w.consentFor(x, "legal-b", legalRep)
	w.consentFor(y, "legal-b", legalRep)
	rid := "6c1f3f0e-9a55-4b4f-9a0e-000000005150"
	req := func(caseID string) *casebridgev1.CreateReferralRequest {
		return &casebridgev1.CreateReferralRequest{
			CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService,
			GrantedClasses: []casebridgev1.DataClass{identity}, Message: "Marker-Message-5150", RequestId: rid,
		}
	}
	first, err := w.rs.CreateReferral(w.as(caseworker), req(x))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.rs.CreateReferral(w.as(caseworker), req(y))
	servertest.WantField(t, err, "request_id")
	const call = "retry-5150"
	again, err := w.rs.CreateReferral(servertest.WithRequestID(w.as(caseworker), call), req(x))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if again.GetReferral().GetId() != first.GetReferral().GetId() {
		t.Fatalf("retry made referral %s, want %s", again.GetReferral().GetId(), first.GetReferral().GetId())
	}
	named := false
	for _, ev := range w.env.AuditTrail(t, x)[call] {
		named = named || len(ev.GetClasses()) > 0
	}
	if !named {
		t.Errorf("a retried create returned the decrypted message without a read naming its class: %v", w.env.AuditTrail(t, x)[call])
	}
}

// A receiver that completed its work or declined the referral is a past
// partner: it reads the referral's message no more than the case itself
// (the message was readable while it was asked and while it served).
func TestPastPartnerNoLongerReadsTexts(t *testing.T) {
	w := start(t)
	for _, tc := range []struct {
		name string
		end  func(r *casebridgev1.Referral) error
	}{
		{"completed", func(r *casebridgev1.Referral) error {
			a := w.accept(csoWorker, r.GetId())
			_, err := w.rs.CompleteReferral(w.as(csoWorker), &casebridgev1.CompleteReferralRequest{Id: a.GetId(), Etag: a.GetEtag()})
			return err
		}},
		{"declined", func(r *casebridgev1.Referral) error {
			_, err := w.rs.DeclineReferral(w.as(csoWorker), &casebridgev1.DeclineReferralRequest{Id: r.GetId(), Reason: "no bed"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := w.newCase()
			w.consentFor(id, "cso-c", assistance)
			resp, err := w.rs.CreateReferral(w.as(caseworker), &casebridgev1.CreateReferralRequest{
				CaseId: id, ToOrganizationId: "cso-c", Service: psychosocial, GrantedClasses: []casebridgev1.DataClass{identity},
				Message: "Marker-Message-7731 now at the safe house",
			})
			if err != nil {
				t.Fatal(err)
			}
			r := resp.GetReferral()
			asked, err := w.rs.GetReferral(w.as(csoWorker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
			if err != nil || asked.GetReferral().GetMessage() == "" {
				t.Fatalf("the receiver asked should read the message: %v %q", err, asked.GetReferral().GetMessage())
			}
			if err := tc.end(r); err != nil {
				t.Fatal(err)
			}
			got, err := w.rs.GetReferral(w.as(csoWorker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
			if err != nil {
				t.Fatalf("GetReferral after it ended: %v", err)
			}
			if m := got.GetReferral().GetMessage(); m != "" {
				t.Errorf("past partner reads the message: %q", m)
			}
			owner, err := w.rs.GetReferral(w.as(caseworker), &casebridgev1.GetReferralRequest{Id: r.GetId()})
			if err != nil || owner.GetReferral().GetMessage() == "" {
				t.Errorf("the sender still reads its own message: %v %q", err, owner.GetReferral().GetMessage())
			}
		})
	}
}
