package transfers_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestFormerOwnerKeepsNothingOfReferrals: shelter-a refers a case to
// legal-b with a message, legal-b completes the referral, and the case is
// transferred to cso-c without a follow-up consent. shelter-a then reads
// its old referral without the sealed message, and legal-b, a past
// partner of shelter-a, does not learn who owns the case now or under
// which reference.
func TestFormerOwnerKeepsNothingOfReferrals(t *testing.T) {
	env := servertest.Start(t)
	rs, sv, mk, lw := env.As(t, caseworkerRS), env.As(t, supervisorRS), env.As(t, caseworkerMK), env.As(t, lawyerThird)
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	id := newCase(t, env)
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, "legal-b")
	const marker = "Marker-RefMsg-5502"
	r, err := refs.CreateReferral(rs, &casebridgev1.CreateReferralRequest{CaseId: id, ToOrganizationId: "legal-b",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL},
		Message: marker + " she is hiding at her aunt's"})
	if err != nil {
		t.Fatal(err)
	}
	rid := r.GetReferral().GetId()
	if _, err := refs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: rid}); err != nil {
		t.Fatal(err)
	}
	if _, err := refs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: rid}); err != nil {
		t.Fatal(err)
	}
	// While shelter-a owns the case it reads its message, and legal-b
	// sees shelter-a as the owner.
	got, err := refs.GetReferral(rs, &casebridgev1.GetReferralRequest{Id: rid})
	if err != nil || !strings.Contains(got.GetReferral().GetMessage(), marker) {
		t.Fatalf("the owner must read its referral's message: %q %v", got.GetReferral().GetMessage(), err)
	}
	sh, err := refs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: id})
	if err != nil || sh.GetSharing().GetOwnerOrganizationId() != "shelter-a" || sh.GetSharing().GetCaseReference() == "" {
		t.Fatalf("past partner's view before the transfer: %v %v", sh, err)
	}

	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	p, err := transfersOf(env).ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transfersOf(env).AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: p.GetTransfer().GetId()}); err != nil {
		t.Fatal(err)
	}

	got, err = refs.GetReferral(rs, &casebridgev1.GetReferralRequest{Id: rid})
	if err != nil && status.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	if m := got.GetReferral().GetMessage(); strings.Contains(m, marker) {
		t.Errorf("the former owner reads its referral's message after the transfer: %q", m)
	}
	list, err := refs.ListReferrals(rs, &casebridgev1.ListReferralsRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list.GetReferrals() {
		if x.GetCaseId() == id && strings.Contains(x.GetMessage(), marker) {
			t.Errorf("ListReferrals gives the former owner the message of referral %s", x.GetId())
		}
	}
	sh, err = refs.GetCaseSharing(lw, &casebridgev1.GetCaseSharingRequest{CaseId: id})
	if err != nil && status.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	if o, ref := sh.GetSharing().GetOwnerOrganizationId(), sh.GetSharing().GetCaseReference(); o != "" || ref != "" {
		t.Errorf("past partner legal-b learns the case's new owner %q and reference %q", o, ref)
	}
}

// TestAnsweredTransferShowsNoLiveCodedAttributes: the receiver decides on
// the coded attributes of a proposal; once it declined, it must not follow
// the case's attributes as they change.
func TestAnsweredTransferShowsNoLiveCodedAttributes(t *testing.T) {
	env := servertest.Start(t)
	rs, sv, mk := env.As(t, caseworkerRS), env.As(t, supervisorRS), env.As(t, caseworkerMK)
	id := newCase(t, env)
	consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
	p, err := transfersOf(env).ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := transfersOf(env).GetTransfer(mk, &casebridgev1.GetTransferRequest{Id: p.GetTransfer().GetId()})
	if err != nil || g.GetTransfer().GetCoded().GetNationality() != "MK" {
		t.Fatalf("the receiver must see the proposal's coded attributes: %v %v", g, err)
	}
	if _, err := transfersOf(env).DeclineTransfer(mk, &casebridgev1.DeclineTransferRequest{Id: p.GetTransfer().GetId()}); err != nil {
		t.Fatal(err)
	}
	cur, err := env.Cases().GetCase(rs, &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cases().UpdateCase(rs, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: id,
		Coded: &casebridgev1.CodedAttributes{Nationality: "XK"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.nationality"}}, Etag: cur.GetCase().GetEtag()}); err != nil {
		t.Fatal(err)
	}
	g, err = transfersOf(env).GetTransfer(mk, &casebridgev1.GetTransferRequest{Id: p.GetTransfer().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.GetTransfer().GetCoded().GetNationality(); n != "" {
		t.Errorf("the receiver of declined transfer %s reads the case's coded attributes (nationality %q)", g.GetTransfer().GetId(), n)
	}
	list, err := transfersOf(env).ListTransfers(mk, &casebridgev1.ListTransfersRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list.GetTransfers() {
		if x.GetCoded().GetNationality() != "" {
			t.Errorf("ListTransfers gives the receiver of declined transfer %s the case's coded attributes", x.GetId())
		}
	}
}
