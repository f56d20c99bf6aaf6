package transfers_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestWithdrawnConsentCancelsProposal: the person withdraws the transfer
// consent a proposal rests on; in the same transaction the proposal is
// cancelled, so cso-c sees it cancelled and cannot accept it.
func TestWithdrawnConsentCancelsProposal(t *testing.T) {
	env := servertest.Start(t)
	tr := proposed(t, env)
	if _, err := env.Cases().WithdrawConsent(env.As(t, caseworkerRS), &casebridgev1.WithdrawConsentRequest{CaseId: tr.GetCaseId(), ConsentId: tr.GetConsentId()}); err != nil {
		t.Fatal(err)
	}
	wantCancelledOffer(t, env, tr)
}

// TestErasureCancelsProposal: the case is erased while a transfer of it is
// proposed; the erasure cancels the proposal in its transaction.
func TestErasureCancelsProposal(t *testing.T) {
	env := servertest.Start(t)
	tr := proposed(t, env)
	if _, err := env.Cases().EraseCase(env.As(t, supervisorRS), &casebridgev1.EraseCaseRequest{Id: tr.GetCaseId(),
		ReasonCode: casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_PERSON_REQUEST, Reason: "the person asked"}); err != nil {
		t.Fatal(err)
	}
	wantCancelledOffer(t, env, tr)
}

// wantCancelledOffer checks that proposal tr is cancelled for the receiver
// and that accepting it is FailedPrecondition, leaving the case with
// shelter-a.
func wantCancelledOffer(t *testing.T, env *servertest.Env, tr *casebridgev1.Transfer) {
	t.Helper()
	mk := env.As(t, caseworkerMK)
	got, err := transfersOf(env).GetTransfer(mk, &casebridgev1.GetTransferRequest{Id: tr.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.GetTransfer(); g.GetStatus() != casebridgev1.TransferStatus_TRANSFER_STATUS_CANCELLED || g.GetCancelTime() == nil || g.GetCoded() != nil {
		t.Errorf("the receiver's view of the withdrawn offer: %v", g)
	}
	_, err = transfersOf(env).AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: tr.GetId()})
	servertest.WantCode(t, err, codes.FailedPrecondition)
	var owner string
	if err := env.Pool.QueryRow(bg(), `SELECT organization_id FROM cases WHERE id = $1`, tr.GetCaseId()).Scan(&owner); err != nil || owner != "shelter-a" {
		t.Fatalf("the case moved to %q (%v)", owner, err)
	}
}
