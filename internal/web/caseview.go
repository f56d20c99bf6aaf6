package web

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/caseaccess"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (s *Server) routesCaseView(mux *http.ServeMux) {
	a := Access{Roles: caseRoles}
	mux.Handle("GET /cases/new", s.Signed(a, s.handleIntakeForm))
	mux.Handle("POST /cases/new", s.Signed(a, s.handleIntake))
	// A receiver of an accepted referral (a lawyer) reads the case too; the
	// server decides which classes.
	mux.Handle("GET /cases/{id}", s.Signed(Access{Roles: referralRoles}, s.handleCaseView))
	mux.Handle("POST /cases/{id}/notes", s.Signed(a, s.handleAddNote))
	mux.Handle("POST /cases/{id}/consents", s.Signed(a, s.handleRecordConsent))
	mux.Handle("POST /cases/{id}/consents/{consent}/withdraw", s.Signed(a, s.handleWithdrawConsent))
	mux.Handle("POST /cases/{id}/referrals", s.Signed(a, s.handleRefer))
	mux.Handle("POST /cases/{id}/status/{verb}", s.Signed(a, s.handleTransition))
	mux.Handle("POST /cases/{id}/assign", s.Signed(a, s.handleAssign))
	mux.Handle("POST /cases/{id}/erase", s.Signed(a, s.handleErase))
}

// caseView is the case page: the case as the caller may read it, its notes,
// consents and referrals, and the state of the forms on it.
type caseView struct {
	Case          *casebridgev1.Case
	Notes         []*casebridgev1.Note
	NotesWithheld []casebridgev1.DataClass
	Consents      []*casebridgev1.Consent
	Referrals     []*casebridgev1.Referral
	// Documents are the case's documents the caller may read.
	Documents []*casebridgev1.Document
	// Orgs are the organisations a case can be referred to (not the
	// owner, not a coordinating body); OrgName names any organisation.
	Orgs    []*casebridgev1.Organization
	orgName map[string]string
	// Actions are the status changes the case can make now.
	Actions []string

	// Section is the form a refusal concerns ("notes", "consents",
	// "refer", "status", "assign", "erase"), Refusal what the page says.
	Section, Refusal string
	V                map[string]string
	Errors           map[string]string
	// Request ids of the create forms, kept across a refusal.
	NoteRID, ConsentRID, ReferRID, DocumentRID string

	Classes  []casebridgev1.DataClass
	Purposes []casebridgev1.ConsentPurpose
	Kinds    []casebridgev1.OrganizationKind
	Services []casebridgev1.ServiceKind
	Reasons  []casebridgev1.CaseChangeReason
}

// Value is what was typed in field name of the refused form.
func (d *caseView) Value(name string) string { return d.V[name] }

// Problem is the message id of field name's problem.
func (d *caseView) Problem(name string) string { return d.Errors[name] }

// OrgName is an organisation's display name (its id when unknown).
func (d *caseView) OrgName(id string) string {
	if n, ok := d.orgName[id]; ok {
		return n
	}
	return id
}

// Owned says whether the user's organisation owns the case: only the owner
// records consents, refers, changes the status and erases.
func (d *caseView) Owned(org string) bool { return d.Case.GetOrganizationId() == org }

// Withheld says whether the case has class c but the caller may not read it.
func (d *caseView) Withheld(c casebridgev1.DataClass) bool {
	return slices.Contains(d.Case.GetRedactedClasses(), c)
}

// transitions are the status changes the page offers, by verb in the URL;
// whether one is possible now is caseaccess's decision.
var transitions = map[string]caseaccess.Transition{
	"start": caseaccess.StartAssistance, "suspend": caseaccess.Suspend,
	"close": caseaccess.Close, "reopen": caseaccess.Reopen,
}

var transitionOrder = []string{"start", "suspend", "close", "reopen"}

func (s *Server) handleCaseView(w http.ResponseWriter, q *Request) {
	d := &caseView{V: map[string]string{}, Errors: map[string]string{}}
	s.showCase(w, q, d, http.StatusOK)
}

// showCase loads the case and everything beside it, then renders the page
// with d's form state (a refusal's problem, or nothing).
func (s *Server) showCase(w http.ResponseWriter, q *Request, d *caseView, status int) {
	id := q.PathValue("id")
	if !requestIDPattern.MatchString(id) {
		// Not an id at all: the same answer as a case one may not see.
		s.fail(w, q, http.StatusNotFound, "error.not_found")
		return
	}
	got, err := s.api.cases.GetCase(q.Ctx, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
	if err != nil {
		e := explain(err, nil)
		s.fail(w, q, e.Status, e.Key)
		return
	}
	d.Case = got.GetCase()
	// What sits beside the case is read in parallel once the case itself is
	// known to be the caller's to see: four calls one after another made
	// the page's wait their sum.
	var (
		wg    sync.WaitGroup
		notes *casebridgev1.ListNotesResponse
		cs    *casebridgev1.ListConsentsResponse
		rs    *casebridgev1.ListReferralsResponse
		orgs  *casebridgev1.ListOrganizationsResponse
		docs  *casebridgev1.ListDocumentsResponse
	)
	wg.Go(func() {
		notes, _ = s.api.cases.ListNotes(q.Ctx, &casebridgev1.ListNotesRequest{CaseId: id, PageSize: 100})
	})
	wg.Go(func() {
		cs, _ = s.api.cases.ListConsents(q.Ctx, &casebridgev1.ListConsentsRequest{CaseId: id, PageSize: 100})
	})
	wg.Go(func() {
		rs, _ = s.api.referrals.ListReferrals(q.Ctx, &casebridgev1.ListReferralsRequest{CaseId: id, PageSize: 100,
			OrganizationId: q.S.Org, Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING})
	})
	wg.Go(func() {
		orgs, _ = s.api.orgs.ListOrganizations(q.Ctx, &casebridgev1.ListOrganizationsRequest{PageSize: 1000})
	})
	wg.Go(func() {
		docs, _ = casebridgev1.NewDocumentServiceClient(s.api.conn).ListDocuments(q.Ctx, &casebridgev1.ListDocumentsRequest{CaseId: id, PageSize: 200})
	})
	wg.Wait()
	d.Documents = docs.GetDocuments()
	d.Notes, d.NotesWithheld = notes.GetNotes(), notes.GetRedactedClasses()
	d.Consents = cs.GetConsents()
	d.Referrals = rs.GetReferrals()
	d.orgName = map[string]string{}
	for _, o := range orgs.GetOrganizations() {
		d.orgName[o.GetId()] = o.GetDisplayName()
		if o.GetId() != d.Case.GetOrganizationId() && o.GetKind() != casebridgev1.OrganizationKind_ORGANIZATION_KIND_COORDINATING_BODY {
			d.Orgs = append(d.Orgs, o)
		}
	}
	facts := caseaccess.Facts{ID: id, Status: d.Case.GetStatus(), Erased: d.Case.GetErased()}
	for _, verb := range transitionOrder {
		if caseaccess.CheckTransition(facts, transitions[verb]) == nil {
			d.Actions = append(d.Actions, verb)
		}
	}
	if d.NoteRID == "" {
		d.NoteRID = uuid.NewString()
	}
	if d.ConsentRID == "" {
		d.ConsentRID = uuid.NewString()
	}
	if d.ReferRID == "" {
		d.ReferRID = uuid.NewString()
	}
	if d.DocumentRID == "" {
		d.DocumentRID = uuid.NewString()
	}
	d.Classes = enumValues[casebridgev1.DataClass](casebridgev1.DataClass_name)[1:]
	d.Purposes = enumValues[casebridgev1.ConsentPurpose](casebridgev1.ConsentPurpose_name)[1:]
	d.Kinds = enumValues[casebridgev1.OrganizationKind](casebridgev1.OrganizationKind_name)[1:]
	d.Services = enumValues[casebridgev1.ServiceKind](casebridgev1.ServiceKind_name)[1:]
	d.Reasons = enumValues[casebridgev1.CaseChangeReason](casebridgev1.CaseChangeReason_name)[1:]
	p := s.page(q, "title.case", d)
	if d.Refusal != "" && d.Section != "refer" && d.Section != "documents" {
		// The referral's refusal is shown in its own section.
		p.Error = d.Refusal
	}
	s.renderPage(w, status, "case", p)
}

// refused shows the case page again with the refusal of form section:
// the API error in the user's words, its fields marked, what was typed kept.
func (s *Server) refused(w http.ResponseWriter, q *Request, d *caseView, section string, err error, data ...any) {
	e := explain(err, protoField)
	d.Section = section
	d.Refusal = q.L.T(e.Key, data...)
	for k, v := range e.Fields {
		d.Errors[k] = v
	}
	if e.Status == http.StatusNotFound {
		s.fail(w, q, e.Status, e.Key)
		return
	}
	s.showCase(w, q, d, e.Status)
}

func (s *Server) formState(q *Request, fields ...string) *caseView {
	d := &caseView{V: map[string]string{}, Errors: map[string]string{}}
	for _, f := range fields {
		d.V[f] = strings.TrimSpace(q.PostFormValue(f))
	}
	return d
}

func caseURL(q *Request) string { return "/cases/" + q.PathValue("id") }

func keptRID(q *Request) string {
	if rid := q.PostFormValue("request_id"); requestIDPattern.MatchString(rid) {
		return rid
	}
	return uuid.NewString()
}

func (s *Server) handleAddNote(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "data_class", "text")
	d.NoteRID = keptRID(q)
	_, err := s.api.cases.AddNote(q.Ctx, &casebridgev1.AddNoteRequest{CaseId: q.PathValue("id"), RequestId: d.NoteRID,
		DataClass: casebridgev1.DataClass(casebridgev1.DataClass_value[d.V["data_class"]]), Text: d.V["text"]})
	if err != nil {
		s.refused(w, q, d, "notes", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.note_added")
}

func (s *Server) handleRecordConsent(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "purpose", "decision", "recipient", "method")
	d.ConsentRID = keptRID(q)
	req := &casebridgev1.RecordConsentRequest{CaseId: q.PathValue("id"), RequestId: d.ConsentRID, Method: d.V["method"],
		Purpose:  casebridgev1.ConsentPurpose(casebridgev1.ConsentPurpose_value[d.V["purpose"]]),
		Decision: casebridgev1.ConsentDecision(casebridgev1.ConsentDecision_value[d.V["decision"]])}
	// The recipient is "org:<id>" or "kind:<KIND>" (one select), or none
	// (statistics).
	switch r := d.V["recipient"]; {
	case strings.HasPrefix(r, "org:"):
		req.Recipient = &casebridgev1.RecordConsentRequest_OrganizationId{OrganizationId: strings.TrimPrefix(r, "org:")}
	case strings.HasPrefix(r, "kind:"):
		req.Recipient = &casebridgev1.RecordConsentRequest_OrganizationKind{
			OrganizationKind: casebridgev1.OrganizationKind(casebridgev1.OrganizationKind_value[strings.TrimPrefix(r, "kind:")])}
	}
	if _, err := s.api.cases.RecordConsent(q.Ctx, req); err != nil {
		s.refused(w, q, d, "consents", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.consent_recorded")
}

func (s *Server) handleWithdrawConsent(w http.ResponseWriter, q *Request) {
	d := s.formState(q)
	if _, err := s.api.cases.WithdrawConsent(q.Ctx, &casebridgev1.WithdrawConsentRequest{CaseId: q.PathValue("id"), ConsentId: q.PathValue("consent")}); err != nil {
		s.refused(w, q, d, "consents", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.consent_withdrawn")
}

// handleRefer makes a referral. The server checks the person's consent;
// its refusal is shown in plain words, naming the organisation and service.
func (s *Server) handleRefer(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "to_organization_id", "service", "message")
	d.ReferRID = keptRID(q)
	req := &casebridgev1.CreateReferralRequest{CaseId: q.PathValue("id"), RequestId: d.ReferRID,
		ToOrganizationId: d.V["to_organization_id"], Message: d.V["message"],
		Service: casebridgev1.ServiceKind(casebridgev1.ServiceKind_value[d.V["service"]])}
	for _, c := range q.PostForm["granted_classes"] {
		d.V["class."+c] = "1"
		if v, ok := casebridgev1.DataClass_value[c]; ok {
			req.GrantedClasses = append(req.GrantedClasses, casebridgev1.DataClass(v))
		}
	}
	if _, err := s.api.referrals.CreateReferral(q.Ctx, req); err != nil {
		orgs := map[string]string{}
		if l, lerr := s.api.orgs.ListOrganizations(q.Ctx, &casebridgev1.ListOrganizationsRequest{PageSize: 1000}); lerr == nil {
			for _, o := range l.GetOrganizations() {
				orgs[o.GetId()] = o.GetDisplayName()
			}
		}
		org := orgs[req.ToOrganizationId]
		if org == "" {
			org = req.ToOrganizationId
		}
		s.refused(w, q, d, "refer", err, "Org", org, "Service", q.L.Enum(req.Service.String()))
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.referred")
}

func (s *Server) handleTransition(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "reason", "reason_code")
	id, etag := q.PathValue("id"), q.PostFormValue("etag")
	code := casebridgev1.CaseChangeReason(casebridgev1.CaseChangeReason_value[d.V["reason_code"]])
	var err error
	switch q.PathValue("verb") {
	case "start":
		_, err = s.api.cases.StartAssistance(q.Ctx, &casebridgev1.StartAssistanceRequest{Id: id, Etag: etag})
	case "suspend":
		_, err = s.api.cases.SuspendCase(q.Ctx, &casebridgev1.SuspendCaseRequest{Id: id, Etag: etag, Reason: d.V["reason"], ReasonCode: code})
	case "close":
		_, err = s.api.cases.CloseCase(q.Ctx, &casebridgev1.CloseCaseRequest{Id: id, Etag: etag, Reason: d.V["reason"], ReasonCode: code})
	case "reopen":
		_, err = s.api.cases.ReopenCase(q.Ctx, &casebridgev1.ReopenCaseRequest{Id: id, Etag: etag, Reason: d.V["reason"], ReasonCode: code})
	default:
		s.fail(w, q, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		s.refused(w, q, d, "status", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.status_changed")
}

func (s *Server) handleAssign(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "caseworker")
	_, err := s.api.cases.AssignCase(q.Ctx, &casebridgev1.AssignCaseRequest{Id: q.PathValue("id"), Caseworker: d.V["caseworker"], Etag: q.PostFormValue("etag")})
	if err != nil {
		s.refused(w, q, d, "assign", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.assigned")
}

// handleErase destroys the person's data once the user has typed the
// case's reference to confirm: it cannot be undone.
func (s *Server) handleErase(w http.ResponseWriter, q *Request) {
	d := s.formState(q, "reason", "reason_code", "confirm")
	ref := q.PostFormValue("reference")
	if !strings.EqualFold(d.V["confirm"], ref) || ref == "" {
		d.Section, d.Refusal, d.Errors["confirm"] = "erase", q.L.T("erase.not_confirmed"), "erase.confirm_mismatch"
		s.showCase(w, q, d, http.StatusUnprocessableEntity)
		return
	}
	_, err := s.api.cases.EraseCase(q.Ctx, &casebridgev1.EraseCaseRequest{Id: q.PathValue("id"), Etag: q.PostFormValue("etag"),
		Reason: d.V["reason"], ReasonCode: casebridgev1.CaseChangeReason(casebridgev1.CaseChangeReason_value[d.V["reason_code"]])})
	if err != nil {
		s.refused(w, q, d, "erase", err)
		return
	}
	redirect(w, q.Request, caseURL(q), "flash.erased")
}
