package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The demo-world users the workloads act as.
const (
	caseworker  = "caseworker@shelter-a"
	lawyer      = "lawyer@legal-b"
	coordinator = "coordinator@network"
	receiverOrg = "legal-b"
)

// caseColumns are the columns CaseService reads for one case: the limits
// read exactly what GetCase and ListCases read.
const caseColumns = `id, seq, organization_id, reference, status, assigned_caseworker,
	sex, age_band, child, nationality, country, identification_year, exploitation_forms,
	identification_status, classes_present, version, create_time, update_time, close_time, erase_time`

// env is what the workloads share: clients, tokens and the seeded cases.
type env struct {
	conn      *grpc.ClientConn
	cases     casebridgev1.CaseServiceClient
	referrals casebridgev1.ReferralServiceClient
	stats     casebridgev1.StatsServiceClient
	health    healthpb.HealthClient
	pool      *pgxpool.Pool // the harness's own pool, for seeding and the limits
	meta      *pgxpool.Pool // two connections for the harness's bookkeeping queries
	tokens    map[string]string
	lim       *pgLimits // the limits' own connections and copied shapes
	// replicas counts calls by the replica that answered (nil with one server).
	replicas *replicaCounter

	full []fullCase // GetCase, UpdateCase (each worker updates its own share)

	mu      sync.Mutex
	created []string // cases made by the CreateCase workload

	referralSeq atomic.Int64
}

// as returns ctx carrying subject's bearer token.
func (e *env) as(ctx context.Context, subject string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e.tokens[subject])
}

func (e *env) createCase(ctx context.Context, rng *rand.Rand) (*casebridgev1.Case, error) {
	resp, err := e.cases.CreateCase(e.as(ctx, caseworker), &casebridgev1.CreateCaseRequest{
		Case: newCase(rng), RequestId: newRequestID(),
	})
	if err != nil {
		return nil, err
	}
	c := resp.GetCase()
	if c.GetIdentity() == nil || c.GetContact() == nil || c.GetCare() == nil || c.GetLegal() == nil {
		return nil, fmt.Errorf("CreateCase returned case %s without all four classes (redacted: %v)", c.GetId(), c.GetRedactedClasses())
	}
	return c, nil
}

// transportLimit is the gRPC health check: no token, no database.
func (e *env) transportLimit(ctx context.Context, _ *worker) error {
	resp, err := e.health.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health: %s", resp.GetStatus())
	}
	return nil
}

// getCase reads a random full case with every class decrypted.
func (e *env) getCase(ctx context.Context, w *worker) error {
	id := e.full[w.rng.IntN(len(e.full))].id
	resp, err := e.cases.GetCase(e.as(ctx, caseworker), &casebridgev1.GetCaseRequest{Id: id})
	if err != nil {
		return err
	}
	c := resp.GetCase()
	if c.GetIdentity() == nil || c.GetContact() == nil || c.GetCare() == nil || c.GetLegal() == nil {
		return fmt.Errorf("GetCase %s: not every class decrypted (redacted: %v)", id, c.GetRedactedClasses())
	}
	return nil
}

// listCases lists the first page of the caseworker's cases (basic view):
// three calls in four unfiltered, one in four only open cases.
func (e *env) listCases(ctx context.Context, w *worker) error {
	req := &casebridgev1.ListCasesRequest{PageSize: 50}
	if w.rng.IntN(4) == 0 {
		req.Status = casebridgev1.CaseStatus_CASE_STATUS_OPEN
	}
	resp, err := e.cases.ListCases(e.as(ctx, caseworker), req)
	if err != nil {
		return err
	}
	if len(resp.GetCases()) == 0 {
		return errors.New("ListCases: no cases")
	}
	return nil
}

// updateCase changes one coded attribute and the phone number (which
// re-encrypts the contact class) of a full case. Each worker updates only
// its own share of the cases, so etags never collide between workers.
func (e *env) updateCase(ctx context.Context, w *worker) error {
	share := (len(e.full) - w.id + w.n - 1) / w.n
	if share <= 0 {
		return errors.New("no case for this worker: fewer full cases than workers")
	}
	i := w.id + w.n*w.rng.IntN(share)
	fc := &e.full[i]
	resp, err := e.cases.UpdateCase(e.as(ctx, caseworker), &casebridgev1.UpdateCaseRequest{
		Case: &casebridgev1.Case{
			Id:      fc.id,
			Coded:   &casebridgev1.CodedAttributes{IdentificationStatus: casebridgev1.IdentificationStatus(1 + w.rng.IntN(3))},
			Contact: &casebridgev1.ContactData{Phone: fmt.Sprintf("+381 6%d %07d", w.rng.IntN(10), w.rng.IntN(10_000_000))},
		},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.identification_status", "contact.phone"}},
		Etag:       fc.etag,
	})
	if err != nil {
		return err
	}
	fc.etag = resp.GetCase().GetEtag()
	return nil
}

// countRequests are the cross-tables the CountCases workload asks for in turn.
var countRequests = []*casebridgev1.CountCasesRequest{
	{Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR, casebridgev1.Dimension_DIMENSION_COUNTRY, casebridgev1.Dimension_DIMENSION_SEX}},
	{Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_ORGANIZATION_KIND, casebridgev1.Dimension_DIMENSION_AGE_BAND}},
	{Dimensions: []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_NATIONALITY, casebridgev1.Dimension_DIMENSION_EXPLOITATION_FORM}},
}

// countCases is a coordinator's anonymised cross-table over every case.
func (e *env) countCases(ctx context.Context, w *worker) error {
	req := countRequests[w.rng.IntN(len(countRequests))]
	resp, err := e.stats.CountCases(e.as(ctx, coordinator), req)
	if err != nil {
		return err
	}
	// A withheld grand total is a valid answer (disclosure control may
	// withhold it on a small population); a published zero is not.
	if t := resp.GetTotals(); len(t) == 0 || (!t[0].GetSuppressed() && t[0].GetCount() == 0) {
		return errors.New("CountCases: no grand total")
	}
	return nil
}

// createCase opens a case with all four classes.
func (e *env) createCaseOp(ctx context.Context, w *worker) error {
	c, err := e.createCase(ctx, w.rng)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.created = append(e.created, c.GetId())
	e.mu.Unlock()
	return nil
}

// referralServices are the services asked for, in turn, of the same case:
// a case can have one open referral per receiver and service.
var referralServices = []casebridgev1.ServiceKind{
	casebridgev1.ServiceKind_SERVICE_KIND_LEGAL,
	casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL,
	casebridgev1.ServiceKind_SERVICE_KIND_REINTEGRATION,
	casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL,
	casebridgev1.ServiceKind_SERVICE_KIND_RETURN,
	casebridgev1.ServiceKind_SERVICE_KIND_SHELTER,
}

// referral is one whole referral: the caseworker records the person's
// consent and refers the case to legal-b, whose lawyer accepts it.
func (e *env) referral(ctx context.Context, _ *worker) error {
	e.mu.Lock()
	pool := len(e.full) + len(e.created)
	e.mu.Unlock()
	n := int(e.referralSeq.Add(1) - 1)
	round := n / pool
	if round >= len(referralServices) {
		return errors.New("every case was referred for every service: seed more cases or shorten the run")
	}
	var caseID string
	if i := n % pool; i < len(e.full) {
		caseID = e.full[i].id
	} else {
		e.mu.Lock()
		caseID = e.created[i-len(e.full)]
		e.mu.Unlock()
	}
	service := referralServices[round]
	purpose := casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
	if service == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
		purpose = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
	}
	owner := e.as(ctx, caseworker)
	consent, err := e.cases.RecordConsent(owner, &casebridgev1.RecordConsentRequest{
		CaseId: caseID, Purpose: purpose, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: receiverOrg},
		Method:    "signed form", RequestId: newRequestID(),
	})
	if err != nil {
		return fmt.Errorf("RecordConsent: %w", err)
	}
	ref, err := e.referrals.CreateReferral(owner, &casebridgev1.CreateReferralRequest{
		CaseId: caseID, ToOrganizationId: receiverOrg, Service: service,
		GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_LEGAL},
		Message:        "please take this case", ConsentId: consent.GetConsent().GetId(), RequestId: newRequestID(),
	})
	if err != nil {
		return fmt.Errorf("CreateReferral: %w", err)
	}
	acc, err := e.referrals.AcceptReferral(e.as(ctx, lawyer), &casebridgev1.AcceptReferralRequest{
		Id: ref.GetReferral().GetId(), Etag: ref.GetReferral().GetEtag(),
	})
	if err != nil {
		return fmt.Errorf("AcceptReferral: %w", err)
	}
	if acc.GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED {
		return fmt.Errorf("AcceptReferral: status %s", acc.GetReferral().GetStatus())
	}
	return nil
}
