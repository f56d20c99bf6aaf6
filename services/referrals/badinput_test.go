package referrals_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestBadInput sends bad input to every ReferralService RPC: each is
// InvalidArgument naming the offending field.
func TestBadInput(t *testing.T) {
	w := start(t)
	cw, lw := w.as(caseworker), w.as(lawyer)
	caseID := w.newCase()
	w.consentFor(caseID, "legal-b", legalRep)
	id := uuid.NewString()
	long := strings.Repeat("x", 501)

	tests := []struct {
		name  string
		field string
		call  func() error
	}{
		{"create: case id not a uuid", "case_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: "42", ToOrganizationId: "legal-b", Service: legalService})
			return err
		}},
		{"create: no receiver", "to_organization_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, Service: legalService})
			return err
		}},
		{"create: unknown receiver", "to_organization_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "nobody", Service: legalService})
			return err
		}},
		{"create: to the owner itself", "to_organization_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "shelter-a", Service: legalService})
			return err
		}},
		{"create: no service", "service", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b"})
			return err
		}},
		{"create: unknown service", "service", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: 99})
			return err
		}},
		{"create: unspecified class", "granted_classes[0]", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService,
				GrantedClasses: []casebridgev1.DataClass{0}})
			return err
		}},
		{"create: repeated class", "granted_classes", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService,
				GrantedClasses: []casebridgev1.DataClass{legal, legal}})
			return err
		}},
		{"create: message too long", "message", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService,
				Message: strings.Repeat("m", 2001)})
			return err
		}},
		{"create: consent id not a uuid", "consent_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService, ConsentId: "c1"})
			return err
		}},
		{"create: request id not a uuid", "request_id", func() error {
			_, err := w.rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: caseID, ToOrganizationId: "legal-b", Service: legalService, RequestId: "r1"})
			return err
		}},
		{"get: id not a uuid", "id", func() error {
			_, err := w.rs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: "x"})
			return err
		}},
		{"list: page size too large", "page_size", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{PageSize: 501})
			return err
		}},
		{"list: forged page token", "page_token", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{PageToken: "Zm9yZ2Vk"})
			return err
		}},
		{"list: unknown direction", "direction", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{Direction: 9})
			return err
		}},
		{"list: unspecified status", "statuses[0]", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{Statuses: []casebridgev1.ReferralStatus{0}})
			return err
		}},
		{"list: case id not a uuid", "case_id", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{CaseId: "c"})
			return err
		}},
		{"list: organisation id too long", "organization_id", func() error {
			_, err := w.rs.ListReferrals(cw, &casebridgev1.ListReferralsRequest{OrganizationId: strings.Repeat("o", 64)})
			return err
		}},
		{"accept: id not a uuid", "id", func() error {
			_, err := w.rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: "x"})
			return err
		}},
		{"accept: etag too long", "etag", func() error {
			_, err := w.rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: id, Etag: strings.Repeat("9", 65)})
			return err
		}},
		{"decline: no reason", "reason", func() error {
			_, err := w.rs.DeclineReferral(lw, &casebridgev1.DeclineReferralRequest{Id: id})
			return err
		}},
		{"decline: reason too long", "reason", func() error {
			_, err := w.rs.DeclineReferral(lw, &casebridgev1.DeclineReferralRequest{Id: id, Reason: long})
			return err
		}},
		{"complete: id not a uuid", "id", func() error {
			_, err := w.rs.CompleteReferral(lw, &casebridgev1.CompleteReferralRequest{Id: ""})
			return err
		}},
		{"withdraw: reason too long", "reason", func() error {
			_, err := w.rs.WithdrawReferral(cw, &casebridgev1.WithdrawReferralRequest{Id: id, Reason: long})
			return err
		}},
		{"revoke: id not a uuid", "id", func() error {
			_, err := w.rs.RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: "r"})
			return err
		}},
		{"revoke: reason too long", "reason", func() error {
			_, err := w.rs.RevokeSharing(cw, &casebridgev1.RevokeSharingRequest{Id: id, Reason: long})
			return err
		}},
		{"case sharing: case id not a uuid", "case_id", func() error {
			_, err := w.rs.GetCaseSharing(cw, &casebridgev1.GetCaseSharingRequest{CaseId: "c"})
			return err
		}},
		{"watch: forged cursor", "after_cursor", func() error {
			return recvErr(w.rs.WatchReferrals(lw, &casebridgev1.WatchReferralsRequest{AfterCursor: "forged"}))
		}},
		{"watch: cursor too long", "after_cursor", func() error {
			return recvErr(w.rs.WatchReferrals(lw, &casebridgev1.WatchReferralsRequest{AfterCursor: strings.Repeat("c", 513)}))
		}},
		{"watch: organisation id too long", "organization_id", func() error {
			return recvErr(w.rs.WatchReferrals(lw, &casebridgev1.WatchReferralsRequest{OrganizationId: strings.Repeat("o", 64)}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.call(), tc.field) })
	}
}

// recvErr is the error a server stream ends with before its first message.
func recvErr(stream interface {
	Recv() (*casebridgev1.WatchReferralsResponse, error)
}, err error) error {
	if err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}
