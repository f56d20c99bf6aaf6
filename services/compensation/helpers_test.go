package compensation_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const (
	caseworker = "caseworker@shelter-a"
	supervisor = "supervisor@shelter-a"
	lawyer     = "lawyer@legal-b"
	otherCW    = "caseworker@cso-c"
)

// world is a running server with a client per service used here.
type world struct {
	t   *testing.T
	env *servertest.Env
	cs  casebridgev1.CaseServiceClient
	rs  casebridgev1.ReferralServiceClient
	ps  casebridgev1.ProceedingServiceClient
	cc  casebridgev1.CompensationServiceClient
}

func start(t *testing.T) *world {
	env := servertest.Start(t)
	return &world{t: t, env: env,
		cs: env.Cases(),
		rs: casebridgev1.NewReferralServiceClient(env.Conn),
		ps: casebridgev1.NewProceedingServiceClient(env.Conn),
		cc: casebridgev1.NewCompensationServiceClient(env.Conn),
	}
}

func (w *world) as(subject string) context.Context { return w.env.As(w.t, subject) }

func (w *world) newCase() string { return w.env.NewMarkedCase(w.t) }

// refer shares caseID with legal-b through the real referral flow.
func (w *world) refer(caseID string, service casebridgev1.ServiceKind, classes ...casebridgev1.DataClass) {
	w.env.Refer(w.t, caseID, service, classes...)
}

func (w *world) referredCase() string { return w.env.ReferredCase(w.t) }

func criminal() *casebridgev1.Proceeding { return servertest.CriminalProceeding() }

func (w *world) newProceeding(caseID string, p *casebridgev1.Proceeding) *casebridgev1.Proceeding {
	return w.env.NewProceeding(w.t, caseID, p)
}

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	return servertest.WantCode(t, err, want)
}

func wantMessage(t *testing.T, err error, want codes.Code, part string) {
	t.Helper()
	servertest.WantMessage(t, err, want, part)
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	servertest.WantField(t, err, field)
}

func eur(minor int64) *casebridgev1.Money {
	return &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: minor}
}

// awardedClaim is a claim on caseID of claimed EUR minor units, filed and
// awarded awardedMinor.
func (w *world) awardedClaim(caseID string, claimed, awardedMinor int64) *casebridgev1.Claim {
	w.t.Helper()
	lw := w.as(lawyer)
	c, err := w.cc.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		Type:          casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: "Farm Ltd"},
		AmountClaimed: eur(claimed),
	}})
	if err != nil {
		w.t.Fatalf("create claim: %v", err)
	}
	id := c.GetClaim().GetId()
	if _, err := w.cc.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: id, FiledDate: "2025-01-15"}); err != nil {
		w.t.Fatalf("file claim: %v", err)
	}
	a, err := w.cc.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: id, Amount: eur(awardedMinor), DecisionDate: "2025-06-02"})
	if err != nil {
		w.t.Fatalf("record award: %v", err)
	}
	return a.GetClaim()
}
