package devworld

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/ctdc/synth"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// As returns a context that calls the server as subject (a dev token).
type As func(ctx context.Context, subject string) (context.Context, error)

// historic is who imports which share of the generated CTDC-layout
// caseload, and the country its cases were identified in (CTDC has none).
var historic = []struct {
	importer, country string
	rows              int
	seed              uint64
}{
	{"caseworker@shelter-a", "RS", 2400, synth.DefaultSeed},
	{"caseworker@cso-c", "MK", 1200, synth.DefaultSeed + 1},
}

// caseloadSource names the demo import, so that a restart imports nothing twice.
const caseloadSource = "demo-ctdc-caseload.csv"

// litigated is how many current cases cso-c refers to legal-b for
// litigation: enough for the litigation indicators to pass suppression.
const litigated = 6

// SeedCaseload gives the demo world a caseload through the real API, as
// its users would: the generated CTDC-layout caseload imported as historic
// cases of shelter-a and cso-c, and a few current cases of cso-c that
// legal-b represents, each with a criminal proceeding, a hearing in the
// coming weeks and a filed compensation claim. It does nothing, and
// reports false, when the caseload was seeded before. Test servers do not
// call it.
func SeedCaseload(ctx context.Context, conn grpc.ClientConnInterface, as As, now time.Time) (bool, error) {
	cases := casebridgev1.NewCaseServiceClient(conn)
	fresh := false
	for _, h := range historic {
		cctx, err := as(ctx, h.importer)
		if err != nil {
			return false, err
		}
		resp, err := importHistoric(cctx, cases, h.rows, h.seed, h.country)
		if err != nil {
			return false, fmt.Errorf("demo caseload of %s: %w", h.importer, err)
		}
		fresh = fresh || resp.GetImported() > 0
	}
	if !fresh {
		return false, nil
	}
	for i := range litigated {
		if err := litigate(ctx, conn, as, i, now); err != nil {
			return false, fmt.Errorf("demo litigation %d: %w", i+1, err)
		}
	}
	return true, nil
}

func importHistoric(ctx context.Context, cases casebridgev1.CaseServiceClient, rows int, seed uint64, country string) (*casebridgev1.ImportCasesResponse, error) {
	var file bytes.Buffer
	if err := synth.Write(&file, rows, seed); err != nil {
		return nil, err
	}
	r, err := ctdc.NewReader(&file)
	if err != nil {
		return nil, err
	}
	stream, err := cases.ImportCases(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{
		Header: &casebridgev1.ImportHeader{Source: caseloadSource}}}); err != nil {
		return nil, err
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		row.GetCoded().Country = country
		if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: row}}); err != nil {
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// litigate opens current case i at cso-c, refers it to legal-b for legal
// representation, and has the lawyer start a proceeding, set a hearing
// 5+4i days ahead and file a claim.
func litigate(ctx context.Context, conn grpc.ClientConnInterface, as As, i int, now time.Time) error {
	cw, err := as(ctx, "caseworker@cso-c")
	if err != nil {
		return err
	}
	lw, err := as(ctx, "lawyer@legal-b")
	if err != nil {
		return err
	}
	sexes := []casebridgev1.Sex{casebridgev1.Sex_SEX_FEMALE, casebridgev1.Sex_SEX_MALE}
	created, err := casebridgev1.NewCaseServiceClient(conn).CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Coded: &casebridgev1.CodedAttributes{
			Sex: sexes[i%2], Nationality: []string{"UA", "MD", "AL"}[i%3], Country: "MK",
			IdentificationYear: int32(now.Year()), ExploitationForms: []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL},
			IdentificationStatus: casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED,
		},
		Identity: &casebridgev1.IdentityData{GivenNames: fmt.Sprintf("Demo Person %d", i+1)},
	}})
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	caseID := created.GetCase().GetId()
	if _, err := casebridgev1.NewCaseServiceClient(conn).RecordConsent(cw, &casebridgev1.RecordConsentRequest{
		CaseId: caseID, Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION,
		Decision:  casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "legal-b"},
	}); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	rs := casebridgev1.NewReferralServiceClient(conn)
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{
		CaseId: caseID, ToOrganizationId: "legal-b", Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL,
		GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_LEGAL},
	})
	if err != nil {
		return fmt.Errorf("refer: %w", err)
	}
	if _, err := rs.AcceptReferral(lw, &casebridgev1.AcceptReferralRequest{Id: ref.GetReferral().GetId()}); err != nil {
		return fmt.Errorf("accept referral: %w", err)
	}
	ps := casebridgev1.NewProceedingServiceClient(conn)
	p, err := ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: &casebridgev1.Proceeding{
		Kind: casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, Court: "Basic Court Skopje I",
		DocketNumber: fmt.Sprintf("KOK %d/%d", 40+i, now.Year()), JurisdictionCountry: "MK", CourtTimeZone: "Europe/Skopje",
		VictimRole: casebridgev1.VictimRole_VICTIM_ROLE_INJURED_PARTY, DefendantCount: 1,
	}})
	if err != nil {
		return fmt.Errorf("create proceeding: %w", err)
	}
	skopje, err := time.LoadLocation("Europe/Skopje")
	if err != nil {
		return err
	}
	day := now.In(skopje).AddDate(0, 0, 5+4*i)
	at := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, skopje)
	if _, err := ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: p.GetProceeding().GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(at), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
	}}); err != nil {
		return fmt.Errorf("add hearing: %w", err)
	}
	cs := casebridgev1.NewCompensationServiceClient(conn)
	claim, err := cs.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: caseID, Claim: &casebridgev1.Claim{
		ProceedingId: p.GetProceeding().GetId(), Type: casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_DEFENDANT},
		AmountClaimed: &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: int64(300000 + 50000*i)},
	}})
	if err != nil {
		return fmt.Errorf("create claim: %w", err)
	}
	if _, err := cs.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: claim.GetClaim().GetId(), Etag: claim.GetClaim().GetEtag(),
		FiledDate: now.Format(time.DateOnly)}); err != nil {
		return fmt.Errorf("file claim: %w", err)
	}
	return nil
}
