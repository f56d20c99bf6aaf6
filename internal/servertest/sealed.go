package servertest

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Markers written by SealedCase into every sealed value of the case, one
// per value, so that tests can look for them in dumps and read them back.
const (
	MarkGiven       = "Marker-Given-5150" // NewMarkedCase
	MarkAccount     = "Marker-Account-5150"
	MarkNote        = "Marker-Note-8812"
	MarkCourt       = "Marker-Court-8812"
	MarkDocket      = "Marker-Docket-8812"
	MarkCharge      = "Marker-Charge-8812"
	MarkHearingNote = "Marker-HearingNote-8812"
	MarkOutcome     = "Marker-Outcome-8812"
	MarkDeadline    = "Marker-Deadline-8812"
	MarkRespondent  = "Marker-Respondent-8812"
	MarkPayer       = "Marker-Payer-8812"
	MarkMethod      = "Marker-Method-8812"
	MarkMessage     = "Marker-Message-8812"
	MarkDecline     = "Marker-Decline-8812"
	MarkSuspend     = "Marker-Suspend-8812"
	MarkPlan        = "Marker-Plan-8812"
	MarkObjective   = "Marker-Objective-8812"
	MarkAction      = "Marker-Action-8812"
	MarkService     = "Marker-Service-8812"
	MarkApproval    = "Marker-Approval-8812"
	MarkTask        = "Marker-Task-8812"
	MarkDocTitle    = "Marker-DocTitle-8812"
	// MarkDocContent is in the content of SealedCase's document: it is no
	// sealed value (the content is encrypted under the document's own key,
	// not sealed), so it is not among Markers.
	MarkDocContent = "Marker-DocContent-8812"
)

// Markers lists every marker SealedCase writes.
var Markers = []string{MarkGiven, MarkAccount, MarkNote, MarkCourt, MarkDocket, MarkCharge, MarkHearingNote,
	MarkOutcome, MarkDeadline, MarkRespondent, MarkPayer, MarkMethod, MarkMessage, MarkDecline, MarkSuspend,
	MarkPlan, MarkObjective, MarkAction, MarkService, MarkApproval, MarkDocTitle, MarkTask}

// Sealed names what SealedCase made.
type Sealed struct {
	CaseID     string
	Proceeding string
	Claim      string
	// Accepted is an accepted referral of the case to cso-c (carrying
	// MarkMessage), Declined one cso-c declined (with MarkDecline).
	Accepted, Declined string
	// Document is a legal document of the case titled MarkDocTitle whose
	// content holds MarkDocContent.
	Document string
}

// SealedCase is a shelter-a case represented by legal-b in which every
// free-text value the API takes holds a marker: the case classes, a note,
// a proceeding (court, docket, charges), a hearing (notes, outcome), a
// deadline, a claim (respondent) with a payment (payer), a consent
// (method), referrals to cso-c (message, decline reason), a suspension
// with its reason and a legal document (title; content).
func (e *Env) SealedCase(t testing.TB) Sealed {
	t.Helper()
	cw, lw, cso := e.As(t, "caseworker@shelter-a"), e.As(t, "lawyer@legal-b"), e.As(t, "caseworker@cso-c")
	ps := casebridgev1.NewProceedingServiceClient(e.Conn)
	cs := casebridgev1.NewCompensationServiceClient(e.Conn)
	rs := casebridgev1.NewReferralServiceClient(e.Conn)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("servertest: %s: %v", what, err)
		}
	}
	out := Sealed{CaseID: e.ReferredCase(t)}
	_, err := e.Cases().AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: out.CaseID, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: MarkNote})
	must("add note", err)

	p := CriminalProceeding()
	p.Court, p.DocketNumber, p.Charges = MarkCourt, MarkDocket, []string{MarkCharge}
	out.Proceeding = e.NewProceeding(t, out.CaseID, p).GetId()
	_, err = ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: out.Proceeding, Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(48 * time.Hour)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
		Notes: MarkHearingNote, Outcome: MarkOutcome,
	}})
	must("add hearing", err)
	_, err = ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: out.Proceeding, Deadline: &casebridgev1.Deadline{
		DueTime: timestamppb.New(time.Now().Add(72 * time.Hour)), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING, Description: MarkDeadline,
	}})
	must("add deadline", err)

	eur := func(minor int64) *casebridgev1.Money {
		return &casebridgev1.Money{CurrencyCode: "EUR", AmountMinor: minor}
	}
	c, err := cs.CreateClaim(lw, &casebridgev1.CreateClaimRequest{CaseId: out.CaseID, Claim: &casebridgev1.Claim{
		Type:          casebridgev1.ClaimType_CLAIM_TYPE_CIVIL_ACTION,
		Respondent:    &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: MarkRespondent},
		AmountClaimed: eur(5000),
	}})
	must("create claim", err)
	out.Claim = c.GetClaim().GetId()
	_, err = cs.FileClaim(lw, &casebridgev1.FileClaimRequest{Id: out.Claim, FiledDate: "2025-01-15"})
	must("file claim", err)
	_, err = cs.RecordAward(lw, &casebridgev1.RecordAwardRequest{Id: out.Claim, Amount: eur(5000), DecisionDate: "2025-06-02"})
	must("record award", err)
	_, err = cs.RecordPayment(lw, &casebridgev1.RecordPaymentRequest{ClaimId: out.Claim, Amount: eur(2000), PaidDate: "2025-07-01",
		Payer: &casebridgev1.ClaimParty{Kind: casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_EMPLOYER, Name: MarkPayer}})
	must("record payment", err)

	_, err = e.Cases().RecordConsent(cw, &casebridgev1.RecordConsentRequest{
		CaseId: out.CaseID, Purpose: casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE, Decision: casebridgev1.ConsentDecision_CONSENT_DECISION_GRANTED,
		Recipient: &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: "cso-c"}, Method: MarkMethod,
	})
	must("record consent", err)
	ref, err := rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: out.CaseID, ToOrganizationId: "cso-c",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_PSYCHOSOCIAL, GrantedClasses: []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_CARE}, Message: MarkMessage})
	must("create referral", err)
	out.Accepted = ref.GetReferral().GetId()
	_, err = rs.AcceptReferral(cso, &casebridgev1.AcceptReferralRequest{Id: out.Accepted})
	must("accept referral", err)
	ref, err = rs.CreateReferral(cw, &casebridgev1.CreateReferralRequest{CaseId: out.CaseID, ToOrganizationId: "cso-c",
		Service: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL})
	must("create second referral", err)
	out.Declined = ref.GetReferral().GetId()
	_, err = rs.DeclineReferral(cso, &casebridgev1.DeclineReferralRequest{Id: out.Declined, Reason: MarkDecline})
	must("decline referral", err)

	doc, err := Upload(cw, e.Conn, &casebridgev1.DocumentMetadata{CaseId: out.CaseID, DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL,
		Title: MarkDocTitle, FileName: "statement.txt"}, strings.NewReader("The statement: "+MarkDocContent+"\n"))
	must("upload document", err)
	out.Document = doc.GetId()

	_, err = e.Cases().StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: out.CaseID})
	must("start assistance", err)
	_, err = e.Cases().SuspendCase(cw, &casebridgev1.SuspendCaseRequest{Id: out.CaseID, Reason: MarkSuspend})
	must("suspend case", err)
	_, err = e.Cases().StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: out.CaseID})
	must("resume assistance", err)
	e.sealCasework(t, out.CaseID, must)
	_, err = casebridgev1.NewTaskServiceClient(e.Conn).CreateTask(cw, &casebridgev1.CreateTaskRequest{CaseId: out.CaseID,
		Title: MarkTask, DueTime: timestamppb.New(time.Now().Add(24 * time.Hour))})
	must("create task", err)
	return out
}

// sealCasework writes a marker into every casework text of the case: a
// support plan with an objective and an action, a service, and a request
// for approval of the plan.
func (e *Env) sealCasework(t testing.TB, caseID string, must func(string, error)) {
	t.Helper()
	cw := e.As(t, "caseworker@shelter-a")
	c := casebridgev1.NewCaseworkServiceClient(e.Conn)
	plan, err := c.CreateSupportPlan(cw, &casebridgev1.CreateSupportPlanRequest{CaseId: caseID,
		Plan: &casebridgev1.SupportPlan{Summary: MarkPlan, ReviewDate: "2030-01-01"}})
	must("create support plan", err)
	obj, err := c.AddObjective(cw, &casebridgev1.AddObjectiveRequest{PlanId: plan.GetPlan().GetId(),
		Objective: &casebridgev1.Objective{Description: MarkObjective}})
	must("add objective", err)
	_, err = c.AddAction(cw, &casebridgev1.AddActionRequest{ObjectiveId: obj.GetObjective().GetId(),
		Action: &casebridgev1.Action{Description: MarkAction}})
	must("add action", err)
	_, err = c.AddService(cw, &casebridgev1.AddServiceRequest{CaseId: caseID, Service: &casebridgev1.SupportService{
		Kind: casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL, Provider: casebridgev1.ServiceProvider_SERVICE_PROVIDER_IN_HOUSE, Description: MarkService}})
	must("add service", err)
	_, err = c.RequestApproval(cw, &casebridgev1.RequestApprovalRequest{CaseId: caseID,
		Subject: casebridgev1.ApprovalSubject_APPROVAL_SUBJECT_SUPPORT_PLAN, Comment: MarkApproval})
	must("request approval", err)
}
