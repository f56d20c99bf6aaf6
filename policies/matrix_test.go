package policies_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// expected is the expected code for a caller of the owning organisation and
// for a caller of another organisation.
type expected struct{ own, other codes.Code }

var abbrev = map[string]codes.Code{"OK": codes.OK, "PD": codes.PermissionDenied, "NF": codes.NotFound}

// loadMatrix reads matrix.csv: roles in column order, and each method's cells.
func loadMatrix(t *testing.T) ([]string, map[string][]expected) {
	t.Helper()
	f, err := os.Open("matrix.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var roles []string
	rows := map[string][]expected{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if fields[0] == "method" {
			roles = fields[1:]
			continue
		}
		if len(fields) != len(roles)+1 {
			t.Fatalf("matrix.csv: %s has %d cells for %d roles", fields[0], len(fields)-1, len(roles))
		}
		for _, c := range fields[1:] {
			own, other, ok := strings.Cut(c, "|")
			o1, ok1 := abbrev[own]
			o2, ok2 := abbrev[other]
			if !ok || !ok1 || !ok2 {
				t.Fatalf("matrix.csv: %s: bad expected %q", fields[0], c)
			}
			rows[fields[0]] = append(rows[fields[0]], expected{o1, o2})
		}
	}
	return roles, rows
}

// world is the demo world plus one matrix user per role in the owning
// organisation (shelter-a) and in another one (cso-c).
type world struct {
	t   *testing.T
	env *servertest.Env
	n   atomic.Int64
}

func (w *world) cases() casebridgev1.CaseServiceClient { return w.env.Cases() }
func (w *world) orgs() casebridgev1.OrganizationServiceClient {
	return w.env.Organizations()
}
func (w *world) referrals() casebridgev1.ReferralServiceClient {
	return casebridgev1.NewReferralServiceClient(w.env.Conn)
}
func (w *world) transfers() casebridgev1.TransferServiceClient {
	return casebridgev1.NewTransferServiceClient(w.env.Conn)
}
func (w *world) as(user string) context.Context { return w.env.As(w.t, user) }
func (w *world) unique() string                 { return fmt.Sprintf("%d", w.n.Add(1)) }

// fixture is what a call works on: a fresh case of shelter-a (in the state
// the call needs) and related ids. etag is the current etag of the record
// the call works on: the case, or the proceeding, hearing, deadline or claim
// of the fixture when it has one.
type fixture struct {
	caseID, etag, consentID, rotationID, subject, referralID string
	proceedingID, hearingID, deadlineID, claimID             string
	planID, objectiveID, actionID, serviceID, approvalID     string
	documentID                                               string
	taskID                                                   string
	coProceedingID                                           string // a proceeding of another case, for LinkProceedings
}

func (w *world) newCase(status string) fixture {
	t := w.t
	cw, sv := w.as("caseworker@shelter-a"), w.as("supervisor@shelter-a")
	resp, err := w.cases().CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
		Identity: &casebridgev1.IdentityData{GivenNames: "Matrix"},
	}})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	fx := fixture{caseID: resp.GetCase().GetId(), etag: resp.GetCase().GetEtag()}
	switch status {
	case "in_assistance":
		r, err := w.cases().StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: fx.caseID})
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
		fx.etag = r.GetCase().GetEtag()
	case "closed":
		r, err := w.cases().CloseCase(sv, &casebridgev1.CloseCaseRequest{Id: fx.caseID})
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
		fx.etag = r.GetCase().GetEtag()
	}
	c, err := w.cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: fx.caseID,
		Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationKind{OrganizationKind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_CSO}})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	fx.consentID = c.GetConsent().GetId()
	return fx
}

// newReferral refers a fresh case of shelter-a to cso-c (psychosocial
// support, care class), accepted by cso-c when accepted is true.
func (w *world) newReferral(accepted bool) fixture {
	fx := w.newCase("open")
	r, err := w.referrals().CreateReferral(w.as("caseworker@shelter-a"), &casebridgev1.CreateReferralRequest{
		CaseId: fx.caseID, ToOrganizationId: "cso-c", Service: casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL,
		GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_CARE}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	fx.referralID = r.GetReferral().GetId()
	if accepted {
		if _, err := w.referrals().AcceptReferral(w.as("caseworker@cso-c"), &casebridgev1.AcceptReferralRequest{Id: fx.referralID}); err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
	}
	return fx
}

func pendingReferral(w *world) fixture { return w.newReferral(false) }

// pendingReferralOf is a case of shelter-a referred to a third
// organisation, so that the other organisation (cso-c) has no link to it.
func pendingReferralOf(org string) func(w *world) fixture {
	return func(w *world) fixture {
		fx := w.newCase("open")
		cw := w.as("caseworker@shelter-a")
		if _, err := w.cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{CaseId: fx.caseID,
			Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
			Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: org}}); err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		r, err := w.referrals().CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: fx.caseID, ToOrganizationId: org,
			Service: casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_LEGAL}})
		if err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		fx.referralID = r.GetReferral().GetId()
		return fx
	}
}
func acceptedReferral(w *world) fixture { return w.newReferral(true) }

// transferConsent is a fresh case of shelter-a whose person consented to
// its transfer to org.
func transferConsent(org string) func(w *world) fixture {
	return func(w *world) fixture {
		fx := w.newCase("open")
		if _, err := w.cases().RecordConsent(w.as("caseworker@shelter-a"), &casebridgev1.RecordConsentRequest{CaseId: fx.caseID,
			Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_TRANSFER, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
			Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: org}}); err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		return fx
	}
}

// proposedTransfer is a case of shelter-a proposed for transfer to org (the
// transfer's id in referralID).
func proposedTransfer(org string) func(w *world) fixture {
	return func(w *world) fixture {
		fx := transferConsent(org)(w)
		r, err := w.transfers().ProposeTransfer(w.as("supervisor@shelter-a"), &casebridgev1.ProposeTransferRequest{CaseId: fx.caseID, ToOrganizationId: org})
		if err != nil {
			w.t.Fatalf("fixture: %v", err)
		}
		fx.referralID = r.GetTransfer().GetId()
		return fx
	}
}

func (w *world) newMember() fixture {
	subject := "target-" + w.unique() + "@shelter-a"
	_, err := w.orgs().AddMember(w.as("admin@shelter-a"), &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
		Subject: subject, Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	return fixture{subject: subject}
}

func (w *world) newRotation() fixture {
	r, err := w.orgs().RotateKey(w.as("admin@shelter-a"), &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
	if err != nil {
		w.t.Fatalf("fixture: %v", err)
	}
	return fixture{rotationID: r.GetRotation().GetId()}
}

// probe prepares what a method needs and calls it with ctx.
type probe struct {
	prep func(w *world) fixture
	call func(w *world, ctx context.Context, fx fixture) error
}

func onCase(status string) func(w *world) fixture {
	return func(w *world) fixture { return w.newCase(status) }
}

func none(*world) fixture { return fixture{} }

var probes = map[string]probe{
	"ReferralService/CreateReferral": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().CreateReferral(ctx, &casebridgev1.CreateReferralRequest{CaseId: fx.caseID, ToOrganizationId: "cso-c",
			Service: casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_CARE}})
		return err
	}},
	"ReferralService/GetReferral": {pendingReferralOf("legal-b"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().GetReferral(ctx, &casebridgev1.GetReferralRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/ListReferrals": {pendingReferral, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.referrals().ListReferrals(ctx, &casebridgev1.ListReferralsRequest{})
		return err
	}},
	"ReferralService/AcceptReferral": {pendingReferral, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().AcceptReferral(ctx, &casebridgev1.AcceptReferralRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/DeclineReferral": {pendingReferral, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().DeclineReferral(ctx, &casebridgev1.DeclineReferralRequest{Id: fx.referralID, Reason: "no capacity"})
		return err
	}},
	"ReferralService/CompleteReferral": {acceptedReferral, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().CompleteReferral(ctx, &casebridgev1.CompleteReferralRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/WithdrawReferral": {pendingReferral, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().WithdrawReferral(ctx, &casebridgev1.WithdrawReferralRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/RevokeSharing": {acceptedReferral, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().RevokeSharing(ctx, &casebridgev1.RevokeSharingRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/GetCaseSharing": {pendingReferralOf("legal-b"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.referrals().GetCaseSharing(ctx, &casebridgev1.GetCaseSharingRequest{CaseId: fx.caseID})
		return err
	}},
	"TransferService/ProposeTransfer": {transferConsent("cso-c"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.transfers().ProposeTransfer(ctx, &casebridgev1.ProposeTransferRequest{CaseId: fx.caseID, ToOrganizationId: "cso-c"})
		return err
	}},
	"TransferService/GetTransfer": {proposedTransfer("legal-b"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.transfers().GetTransfer(ctx, &casebridgev1.GetTransferRequest{Id: fx.referralID})
		return err
	}},
	"TransferService/ListTransfers": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.transfers().ListTransfers(ctx, &casebridgev1.ListTransfersRequest{})
		return err
	}},
	"TransferService/AcceptTransfer": {proposedTransfer("cso-c"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.transfers().AcceptTransfer(ctx, &casebridgev1.AcceptTransferRequest{Id: fx.referralID})
		return err
	}},
	"TransferService/DeclineTransfer": {proposedTransfer("cso-c"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.transfers().DeclineTransfer(ctx, &casebridgev1.DeclineTransferRequest{Id: fx.referralID})
		return err
	}},
	"TransferService/CancelTransfer": {proposedTransfer("cso-c"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.transfers().CancelTransfer(ctx, &casebridgev1.CancelTransferRequest{Id: fx.referralID})
		return err
	}},
	"ReferralService/WatchReferrals": {none, func(w *world, ctx context.Context, _ fixture) error {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		stream, err := w.referrals().WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
		if err != nil {
			return err
		}
		_, err = stream.Recv()
		if status.Code(err) == codes.DeadlineExceeded {
			return nil // open and waiting for events
		}
		return err
	}},
	"CaseService/CreateCase": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.cases().CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}, OrganizationId: "shelter-a"})
		return err
	}},
	"CaseService/GetCase": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().GetCase(ctx, &casebridgev1.GetCaseRequest{Id: fx.caseID})
		return err
	}},
	"CaseService/ListCases": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		resp, err := w.cases().ListCases(ctx, &casebridgev1.ListCasesRequest{PageSize: 500})
		for _, c := range resp.GetCases() {
			if c.GetId() == fx.caseID && !strings.HasSuffix(callerOf(ctx), "@shelter-a") {
				return status.Error(codes.Internal, "another organisation's case is listed")
			}
		}
		return err
	}},
	"CaseService/UpdateCase": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().UpdateCase(ctx, &casebridgev1.UpdateCaseRequest{Case: &casebridgev1.Case{Id: fx.caseID},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"coded.country"}}, Etag: fx.etag})
		return err
	}},
	"CaseService/StartAssistance": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().StartAssistance(ctx, &casebridgev1.StartAssistanceRequest{Id: fx.caseID})
		return err
	}},
	"CaseService/SuspendCase": {onCase("in_assistance"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().SuspendCase(ctx, &casebridgev1.SuspendCaseRequest{Id: fx.caseID})
		return err
	}},
	"CaseService/CloseCase": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().CloseCase(ctx, &casebridgev1.CloseCaseRequest{Id: fx.caseID})
		return err
	}},
	"CaseService/ReopenCase": {onCase("closed"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().ReopenCase(ctx, &casebridgev1.ReopenCaseRequest{Id: fx.caseID})
		return err
	}},
	"CaseService/AssignCase": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().AssignCase(ctx, &casebridgev1.AssignCaseRequest{Id: fx.caseID, Caseworker: "supervisor@shelter-a"})
		return err
	}},
	"CaseService/EraseCase": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().EraseCase(ctx, &casebridgev1.EraseCaseRequest{Id: fx.caseID, Reason: "matrix"})
		return err
	}},
	"CaseService/AddNote": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().AddNote(ctx, &casebridgev1.AddNoteRequest{CaseId: fx.caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: "n"})
		return err
	}},
	"CaseService/ListNotes": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().ListNotes(ctx, &casebridgev1.ListNotesRequest{CaseId: fx.caseID})
		return err
	}},
	"CaseService/RecordConsent": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().RecordConsent(ctx, &casebridgev1.RecordConsentRequest{CaseId: fx.caseID,
			Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_STATISTICS, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED})
		return err
	}},
	"CaseService/WithdrawConsent": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().WithdrawConsent(ctx, &casebridgev1.WithdrawConsentRequest{CaseId: fx.caseID, ConsentId: fx.consentID})
		return err
	}},
	"CaseService/ListConsents": {onCase("open"), func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.cases().ListConsents(ctx, &casebridgev1.ListConsentsRequest{CaseId: fx.caseID})
		return err
	}},
	"CaseService/ImportCases": {none, func(w *world, ctx context.Context, _ fixture) error {
		stream, err := w.cases().ImportCases(ctx)
		if err != nil {
			return err
		}
		_ = stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{Header: &casebridgev1.ImportHeader{
			Source: "matrix-" + w.unique(), OrganizationId: "shelter-a"}}})
		_ = stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: &casebridgev1.ImportRow{Line: 2}}})
		_, err = stream.CloseAndRecv()
		return err
	}},
	"OrganizationService/GetCallerIdentity": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
		return err
	}},
	"OrganizationService/RevokeCallerToken": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().RevokeCallerToken(ctx, &casebridgev1.RevokeCallerTokenRequest{Reason: casebridgev1.SignOutReason_SIGN_OUT_REASON_USER})
		return err
	}},
	"OrganizationService/CreateOrganization": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().CreateOrganization(ctx, &casebridgev1.CreateOrganizationRequest{Organization: &casebridgev1.Organization{
			Id: "matrix-" + w.unique(), DisplayName: "Matrix", Kind: casebridgev1.OrganizationKind_ORGANIZATION_KIND_CSO},
			AdminSubject: "admin-" + w.unique() + "@matrix"})
		return err
	}},
	"OrganizationService/GetOrganization": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().GetOrganization(ctx, &casebridgev1.GetOrganizationRequest{Id: "shelter-a"})
		return err
	}},
	"OrganizationService/ListOrganizations": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().ListOrganizations(ctx, &casebridgev1.ListOrganizationsRequest{})
		return err
	}},
	"OrganizationService/UpdateOrganization": {none, func(w *world, ctx context.Context, _ fixture) error {
		o, err := w.orgs().GetOrganization(w.as("admin@shelter-a"), &casebridgev1.GetOrganizationRequest{Id: "shelter-a"})
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		_, err = w.orgs().UpdateOrganization(ctx, &casebridgev1.UpdateOrganizationRequest{
			Organization: &casebridgev1.Organization{Id: "shelter-a", DisplayName: "Shelter A " + w.unique()},
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}, Etag: o.GetOrganization().GetEtag()})
		return err
	}},
	"OrganizationService/AddMember": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().AddMember(ctx, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
			Subject: "new-" + w.unique() + "@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}})
		return err
	}},
	"OrganizationService/UpdateMember": {(*world).newMember, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.orgs().UpdateMember(ctx, &casebridgev1.UpdateMemberRequest{OrganizationId: "shelter-a",
			Subject: fx.subject, Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_SUPERVISOR}})
		return err
	}},
	"OrganizationService/RemoveMember": {(*world).newMember, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.orgs().RemoveMember(ctx, &casebridgev1.RemoveMemberRequest{OrganizationId: "shelter-a", Subject: fx.subject})
		return err
	}},
	"OrganizationService/ListMembers": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().ListMembers(ctx, &casebridgev1.ListMembersRequest{OrganizationId: "shelter-a"})
		return err
	}},
	"OrganizationService/ListKeys": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().ListKeys(ctx, &casebridgev1.ListKeysRequest{OrganizationId: "shelter-a"})
		return err
	}},
	"OrganizationService/RotateKey": {none, func(w *world, ctx context.Context, _ fixture) error {
		_, err := w.orgs().RotateKey(ctx, &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
		return err
	}},
	"OrganizationService/GetKeyRotation": {(*world).newRotation, func(w *world, ctx context.Context, fx fixture) error {
		_, err := w.orgs().GetKeyRotation(ctx, &casebridgev1.GetKeyRotationRequest{OrganizationId: "shelter-a", Id: fx.rotationID})
		return err
	}},
}

type callerKey struct{}

func callerOf(ctx context.Context) string { s, _ := ctx.Value(callerKey{}).(string); return s }

// TestPermissionMatrix calls every registered RPC as every role, from the
// owning organisation and from another one, over gRPC on a TCP port, and
// checks each expected of matrix.csv.
func TestPermissionMatrixOverGRPC(t *testing.T) {
	env := servertest.Start(t)
	w := &world{t: t, env: env}
	roles, rows := loadMatrix(t)
	for _, role := range roles {
		for _, org := range sidesOf(role) {
			if _, err := env.Pool.Exec(context.Background(), `INSERT INTO memberships (organization_id, subject, roles)
				VALUES ($1, $2, ARRAY[$3])`, org, "m-"+role+"@"+org, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	registered := map[string]bool{}
	for svc, info := range env.Server.GRPC().GetServiceInfo() {
		if strings.HasPrefix(svc, "grpc.") {
			continue
		}
		for _, m := range info.Methods {
			name := strings.TrimPrefix(svc, "casebridge.v1.") + "/" + m.Name
			registered[name] = true
			if _, ok := rows[name]; !ok {
				t.Errorf("%s is registered but has no row in matrix.csv", name)
			}
		}
	}
	for method, cells := range rows {
		if !registered[method] {
			continue // a service not implemented yet is not registered
		}
		p, ok := probes[method]
		if !ok {
			t.Errorf("%s has no probe in matrix_test.go", method)
			continue
		}
		for i, role := range roles {
			for side, org := range sidesOf(role) {
				want := cells[i].own
				if side == 1 {
					want = cells[i].other
				}
				fx := p.prep(w)
				user := "m-" + role + "@" + org
				ctx := context.WithValue(env.As(t, user), callerKey{}, user)
				if got := status.Code(p.call(w, ctx, fx)); got != want {
					t.Errorf("%s as %s of %s: got %v, matrix says %v", method, role, sideName(role, side), got, want)
				}
			}
		}
	}
}

// sidesOf is where the matrix's two members holding role belong: the
// owning organisation and another one for an organisation role; the
// coordinating body and an ordinary organisation (where a network role must
// allow nothing) for a network role.
func sidesOf(role string) []string {
	if authz.IsNetworkRole(role) {
		return []string{"network", "shelter-a"}
	}
	return []string{"shelter-a", "cso-c"}
}

func sideName(role string, side int) string {
	switch {
	case authz.IsNetworkRole(role) && side == 0:
		return "the coordinating body"
	case authz.IsNetworkRole(role):
		return "an ordinary organisation (network role written into its memberships)"
	case side == 0:
		return "the owning organisation"
	}
	return "another organisation"
}
