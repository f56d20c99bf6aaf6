package compensation_test

import (
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestClaimsNameTheirCaseByReference: a claim created, read, listed or
// changed names its case by the owner's reference as well as its id.
func TestClaimsNameTheirCaseByReference(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	got, err := w.cs.GetCase(w.as(caseworker), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		t.Fatal(err)
	}
	ref := got.GetCase().GetReference()
	created, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND, AmountClaimed: eur(100_00)}})
	if err != nil || ref == "" || created.GetClaim().GetCaseReference() != ref {
		t.Fatalf("created: %v %v, want reference %q", created.GetClaim(), err, ref)
	}
	id := created.GetClaim().GetId()
	if r, err := w.cc.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: id}); err != nil || r.GetClaim().GetCaseReference() != ref {
		t.Fatalf("get: %v %v", r, err)
	}
	if r, err := w.cc.ListClaims(lw, &casebridgev1.ListClaimsRequest{CaseId: caseID}); err != nil || len(r.GetClaims()) != 1 || r.GetClaims()[0].GetCaseReference() != ref {
		t.Fatalf("list: %v %v", r, err)
	}
	if r, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: id}); err != nil || r.GetClaim().GetCaseReference() != ref {
		t.Fatalf("file: %v %v", r, err)
	}
}
