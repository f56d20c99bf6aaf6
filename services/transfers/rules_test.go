package transfers_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/transfer"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransferTransitions: from every status, every answer is allowed
// exactly where the transition table says (internal/transfer), and refused
// with FailedPrecondition naming both statuses elsewhere; the status is then
// unchanged.
func TestTransferTransitions(t *testing.T) {
	env := servertest.Start(t)
	ts := transfersOf(env)
	mk, sv := env.As(t, caseworkerMK), env.As(t, supervisorRS)
	call := map[string]func(id, etag string) (*casebridgev1.Transfer, error){
		"accept": func(id, etag string) (*casebridgev1.Transfer, error) {
			r, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: id, Etag: etag})
			return r.GetTransfer(), err
		},
		"decline": func(id, etag string) (*casebridgev1.Transfer, error) {
			r, err := ts.DeclineTransfer(mk, &casebridgev1.DeclineTransferRequest{Id: id, Etag: etag})
			return r.GetTransfer(), err
		},
		"cancel": func(id, etag string) (*casebridgev1.Transfer, error) {
			r, err := ts.CancelTransfer(sv, &casebridgev1.CancelTransferRequest{Id: id, Etag: etag})
			return r.GetTransfer(), err
		},
	}
	into := map[transfer.Status]string{transfer.Accepted: "accept", transfer.Declined: "decline", transfer.Cancelled: "cancel"}
	for _, from := range []transfer.Status{transfer.Proposed, transfer.Accepted, transfer.Declined, transfer.Cancelled} {
		for _, tr := range transfer.Transitions() {
			t.Run(transfer.Word(from)+"/"+tr.Verb, func(t *testing.T) {
				p := proposed(t, env)
				cur := p
				if from != transfer.Proposed {
					var err error
					if cur, err = call[into[from]](p.GetId(), ""); err != nil {
						t.Fatal(err)
					}
				}
				got, err := call[tr.Verb](p.GetId(), cur.GetEtag())
				allowed := from == transfer.Proposed
				if allowed {
					if err != nil || got.GetStatus() != tr.To {
						t.Fatalf("%s from %s: %v %v", tr.Verb, transfer.Word(from), got.GetStatus(), err)
					}
					return
				}
				servertest.WantMessage(t, err, codes.FailedPrecondition, transfer.Word(from)+" → "+transfer.Word(tr.To))
				after, err := ts.GetTransfer(mk, &casebridgev1.GetTransferRequest{Id: p.GetId()})
				if err != nil || after.GetTransfer().GetStatus() != from || after.GetTransfer().GetEtag() != cur.GetEtag() {
					t.Fatalf("a refused %s changed the transfer: %v %v", tr.Verb, after, err)
				}
			})
		}
	}
	t.Run("stale etag", func(t *testing.T) {
		p := proposed(t, env)
		_, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: p.GetId(), Etag: p.GetEtag() + "7"})
		servertest.WantCode(t, err, codes.Aborted)
		_, err = env.Cases().GetCase(mk, &casebridgev1.GetCaseRequest{Id: p.GetCaseId()})
		servertest.WantCode(t, err, codes.NotFound)
	})
	t.Run("consent withdrawn while proposed", func(t *testing.T) {
		p := proposed(t, env)
		if _, err := env.Cases().WithdrawConsent(env.As(t, caseworkerRS), &casebridgev1.WithdrawConsentRequest{CaseId: p.GetCaseId(), ConsentId: p.GetConsentId()}); err != nil {
			t.Fatal(err)
		}
		// The withdrawal cancelled the proposal resting on the consent.
		_, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: p.GetId()})
		servertest.WantMessage(t, err, codes.FailedPrecondition, "is cancelled")
	})
	t.Run("referral opened while proposed", func(t *testing.T) {
		p := proposed(t, env)
		env.ReferTo(t, p.GetCaseId(), "legal-b", lawyerThird, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
		_, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: p.GetId()})
		servertest.WantMessage(t, err, codes.FailedPrecondition, "open referrals")
	})
}

// TestProposeTransferBadInput: every bad proposal is refused with the code
// and the field (or reason) it deserves, and stores nothing.
func TestProposeTransferBadInput(t *testing.T) {
	env := servertest.Start(t)
	ts, sv := transfersOf(env), env.As(t, supervisorRS)
	ready := func(t *testing.T) string {
		id := newCase(t, env)
		consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "cso-c")
		return id
	}
	usedRID := uuid.NewString()
	if _, err := ts.ProposeTransfer(sv, &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "cso-c", RequestId: usedRID}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		req   func(t *testing.T) *casebridgev1.ProposeTransferRequest
		code  codes.Code
		field string // InvalidArgument: the field named
		says  string // otherwise: what the message says
	}{
		{"case id not a uuid", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: "SHA-2026-0001", ToOrganizationId: "cso-c"}
		}, codes.InvalidArgument, "case_id", ""},
		{"no receiver", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t)}
		}, codes.InvalidArgument, "to_organization_id", ""},
		{"receiver too long", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: strings.Repeat("x", 64)}
		}, codes.InvalidArgument, "to_organization_id", ""},
		{"unknown receiver", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "nowhere"}
		}, codes.InvalidArgument, "to_organization_id", ""},
		{"to itself", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "shelter-a"}
		}, codes.InvalidArgument, "to_organization_id", ""},
		{"to a coordinating body", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "network"}
		}, codes.InvalidArgument, "to_organization_id", ""},
		{"consent id not a uuid", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "cso-c", ConsentId: "signed"}
		}, codes.InvalidArgument, "consent_id", ""},
		{"request id not a uuid", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "cso-c", RequestId: "again"}
		}, codes.InvalidArgument, "request_id", ""},
		{"request id of another case", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: ready(t), ToOrganizationId: "cso-c", RequestId: usedRID}
		}, codes.InvalidArgument, "request_id", ""},
		{"no transfer consent", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: newCase(t, env), ToOrganizationId: "cso-c"}
		}, codes.FailedPrecondition, "", "missing consent"},
		{"consent to another receiver", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			id := newCase(t, env)
			consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, "legal-b")
			return &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"}
		}, codes.FailedPrecondition, "", "missing consent"},
		{"named consent for another purpose", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			id := ready(t)
			other := consent(t, env, id, casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, "cso-c")
			return &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c", ConsentId: other}
		}, codes.FailedPrecondition, "", "is for assistance, not transfer"},
		{"closed case", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			id := ready(t)
			if _, err := env.Cases().CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: id}); err != nil {
				t.Fatal(err)
			}
			return &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"}
		}, codes.FailedPrecondition, "", "is closed"},
		{"open referral", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			id := ready(t)
			env.ReferTo(t, id, "legal-b", lawyerThird, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
			return &casebridgev1.ProposeTransferRequest{CaseId: id, ToOrganizationId: "cso-c"}
		}, codes.FailedPrecondition, "", "open referrals"},
		{"already proposed", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			p := proposed(t, env)
			return &casebridgev1.ProposeTransferRequest{CaseId: p.GetCaseId(), ToOrganizationId: "cso-c"}
		}, codes.FailedPrecondition, "", "already waiting"},
		{"a case the caller cannot see", func(t *testing.T) *casebridgev1.ProposeTransferRequest {
			return &casebridgev1.ProposeTransferRequest{CaseId: uuid.NewString(), ToOrganizationId: "cso-c"}
		}, codes.NotFound, "", "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req(t)
			var before int
			if err := env.Pool.QueryRow(bg(), `SELECT count(*) FROM case_transfers`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			_, err := ts.ProposeTransfer(sv, req)
			if c.field != "" {
				servertest.WantField(t, err, c.field)
			} else {
				servertest.WantMessage(t, err, c.code, c.says)
			}
			var after int
			if err := env.Pool.QueryRow(bg(), `SELECT count(*) FROM case_transfers`).Scan(&after); err != nil || after != before {
				t.Fatalf("a refused proposal stored a transfer (%d → %d, %v)", before, after, err)
			}
		})
	}
	t.Run("answers: bad id and etag", func(t *testing.T) {
		mk := env.As(t, caseworkerMK)
		_, err := ts.AcceptTransfer(mk, &casebridgev1.AcceptTransferRequest{Id: "x"})
		servertest.WantField(t, err, "id")
		_, err = ts.DeclineTransfer(mk, &casebridgev1.DeclineTransferRequest{Id: uuid.NewString(), Etag: strings.Repeat("9", 65)})
		servertest.WantField(t, err, "etag")
		_, err = ts.CancelTransfer(sv, &casebridgev1.CancelTransferRequest{Id: uuid.NewString()})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("cancel of an unknown transfer: %v", err)
		}
		_, err = ts.ListTransfers(mk, &casebridgev1.ListTransfersRequest{PageToken: "garbage"})
		servertest.WantField(t, err, "page_token")
	})
}
