package compensation_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestBadInput sends every kind of bad input to CompensationService: each
// is InvalidArgument naming the offending field — bad and mixed currencies
// included — and nothing changes.
func TestBadInput(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	otherCase := w.referredCase()
	foreign := w.newProceeding(otherCase, criminal())
	claim := w.awardedClaim(caseID, 10000, 5000)
	id, etag := claim.GetId(), claim.GetEtag()
	filedResp, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type: casebridgev1.ClaimType_CLAIM_TYPE_STATE_FUND, AmountClaimed: eur(3000)}})
	if err != nil {
		t.Fatal(err)
	}
	filedID := filedResp.GetClaim().GetId()
	if _, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: filedID}); err != nil {
		t.Fatal(err)
	}
	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	civil := casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION
	create := func(c *casebridgev1.Claim) func() error {
		return func() error {
			_, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: c})
			return err
		}
	}
	award := func(claimID string, m *casebridgev1.Money, date string) func() error {
		return func() error {
			_, err := w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: claimID, Amount: m, DecisionDate: date})
			return err
		}
	}
	pay := func(r *casebridgev1.RecordPaymentRequest) func() error {
		return func() error {
			r.ClaimId = id
			if r.PaidDate == "" {
				r.PaidDate = "2025-07-01"
			}
			_, err := w.cc.RecordPayment(lw, r)
			return err
		}
	}
	update := func(c *casebridgev1.Claim, paths ...string) func() error {
		return func() error {
			c.Id = id
			_, err := w.cc.UpdateClaim(lw, &casebridgev1.UpdateClaimRequest{Claim: c, Etag: etag, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			return err
		}
	}

	tests := []struct {
		name  string
		field string
		call  func() error
	}{
		{"create without claim", "claim", func() error {
			_, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID})
			return err
		}},
		{"create bad case id", "case_id", func() error {
			_, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: "c-1", Claim: &casebridgev1.Claim{Type: civil}})
			return err
		}},
		{"create without type", "claim", create(&casebridgev1.Claim{AmountClaimed: eur(1)})},
		{"create unknown currency", "claim.amount_claimed.currency_code", create(&casebridgev1.Claim{Type: civil,
			AmountClaimed: &casebridgev1.Money{CurrencyCode: "ABC", AmountMinor: 100}})},
		{"create no-currency code", "claim.amount_claimed.currency_code", create(&casebridgev1.Claim{Type: civil,
			AmountClaimed: &casebridgev1.Money{CurrencyCode: "XXX", AmountMinor: 100}})},
		{"create lower-case currency", "claim.amount_claimed.currency_code", create(&casebridgev1.Claim{Type: civil,
			AmountClaimed: &casebridgev1.Money{CurrencyCode: "eur", AmountMinor: 100}})},
		{"create amount without currency", "claim.amount_claimed.currency_code", create(&casebridgev1.Claim{Type: civil,
			AmountClaimed: &casebridgev1.Money{AmountMinor: 100}})},
		{"create negative amount", "claim.amount_claimed", create(&casebridgev1.Claim{Type: civil, AmountClaimed: eur(-1)})},
		{"create absurd amount", "claim.amount_claimed.amount_minor", create(&casebridgev1.Claim{Type: civil, AmountClaimed: eur(1 << 62)})},
		{"create bad proceeding id", "claim.proceeding_id", create(&casebridgev1.Claim{Type: civil, ProceedingId: "p-1"})},
		{"create another case's proceeding", "claim.proceeding_id", create(&casebridgev1.Claim{Type: civil, ProceedingId: foreign.GetId()})},
		{"create unknown proceeding", "claim.proceeding_id", create(&casebridgev1.Claim{Type: civil, ProceedingId: uuid.NewString()})},
		{"create wrong respondent kind", "claim.respondent.kind", create(&casebridgev1.Claim{Type: civil,
			Respondent: &casebridgev1.ClaimParty{Kind: 12}})},
		{"update read-only status", "update_mask", update(&casebridgev1.Claim{}, "status")},
		{"update read-only award", "update_mask", update(&casebridgev1.Claim{}, "amount_awarded")},
		{"update currency under an award", "claim.amount_claimed.currency_code", update(&casebridgev1.Claim{
			AmountClaimed: &casebridgev1.Money{CurrencyCode: "RSD", AmountMinor: 1000000}}, "amount_claimed")},
		{"update without etag", "etag", func() error {
			_, err := w.cc.UpdateClaim(lw, &casebridgev1.UpdateClaimRequest{Claim: &casebridgev1.Claim{Id: id, Type: civil},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"type"}}})
			return err
		}},
		{"update bad id", "claim.id", func() error {
			_, err := w.cc.UpdateClaim(lw, &casebridgev1.UpdateClaimRequest{Claim: &casebridgev1.Claim{Id: "x", Type: civil}, Etag: etag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"type"}}})
			return err
		}},
		{"file on an impossible day", "filed_date", func() error {
			_, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: id, FiledDate: "2025-04-31"})
			return err
		}},
		{"award in another currency", "amount.currency_code", award(filedID, &casebridgev1.Money{CurrencyCode: "RSD", AmountMinor: 100}, "2025-06-01")},
		{"award in an unknown currency", "amount.currency_code", award(filedID, &casebridgev1.Money{CurrencyCode: "ABC", AmountMinor: 100}, "2025-06-01")},
		{"award of zero", "amount", award(filedID, eur(0), "2025-06-01")},
		{"award without amount", "amount", award(filedID, nil, "2025-06-01")},
		{"award without date", "decision_date", award(filedID, eur(100), "")},
		{"award on an impossible day", "decision_date", award(filedID, eur(100), "2025-02-29")},
		{"award in the future", "decision_date", award(filedID, eur(100), future)},
		{"payment in another currency", "amount.currency_code", pay(&casebridgev1.RecordPaymentRequest{Amount: &casebridgev1.Money{CurrencyCode: "USD", AmountMinor: 100}})},
		{"payment in an unknown currency", "amount.currency_code", pay(&casebridgev1.RecordPaymentRequest{Amount: &casebridgev1.Money{CurrencyCode: "EUX", AmountMinor: 100}})},
		{"payment of zero", "amount", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(0)})},
		{"payment without amount", "amount", pay(&casebridgev1.RecordPaymentRequest{})},
		{"negative payment that is no correction", "", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(-100)})},
		{"correction without reason", "", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(-100), Correction: true})},
		{"corrected entry named without correction", "", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(100), CorrectsPaymentId: uuid.NewString()})},
		{"payment without date", "paid_date", func() error {
			_, err := w.cc.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: id, Amount: eur(100)})
			return err
		}},
		{"payment in the future", "paid_date", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(100), PaidDate: future})},
		{"payment absurd amount", "amount.amount_minor", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(1 << 61), Correction: true, Reason: "x"})},
		{"payment bad request id", "request_id", pay(&casebridgev1.RecordPaymentRequest{Amount: eur(100), RequestId: "again"})},
		{"list payments forged token", "page_token", func() error {
			_, err := w.cc.ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: id, PageToken: "bm90LWEtdG9rZW4"})
			return err
		}},
		{"list claims page too big", "page_size", func() error {
			_, err := w.cc.ListClaims(lw, &casebridgev1.ListClaimsRequest{PageSize: 1000})
			return err
		}},
		{"summary bad case id", "case_id", func() error {
			_, err := w.cc.GetClaimSummary(lw, &casebridgev1.GetClaimSummaryRequest{CaseId: "case"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.call(), tc.field) })
	}
	got, err := w.cc.GetClaim(lw, &casebridgev1.GetClaimRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetClaim().GetEtag() != etag || got.GetClaim().GetAmountPaid().GetAmountMinor() != 0 {
		t.Fatalf("a rejected request changed the claim: %v", got.GetClaim())
	}
	list, err := w.cc.ListClaims(lw, &casebridgev1.ListClaimsRequest{CaseId: caseID})
	if err != nil || len(list.GetClaims()) != 2 {
		t.Fatalf("a rejected create left a claim behind: %d, %v", len(list.GetClaims()), err)
	}
}
