package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The lawyer's area: a case's proceedings with their stages, hearings and
// deadlines, its compensation claims with award and payment ledger, and the
// calendar of what is coming. The pages are the lawyers': a caseworker may
// read a proceeding's status and a claim's, but not the hearings, deadlines
// and ledger every court page is made of. The server still decides who may
// see and change court data, and a refusal shows the "not permitted" page.
func (s *Server) routesLitigation(mux *http.ServeMux) {
	lawyer := Access{Roles: []string{roleLawyer}}
	mux.Handle("GET /court", s.Signed(lawyer, s.handleCourtList))
	mux.Handle("GET /cases/{id}/court", s.Signed(lawyer, s.handleCaseCourt))
	mux.Handle("POST /cases/{id}/court/proceedings", s.Signed(lawyer, s.handleCreateProceeding))
	mux.Handle("POST /cases/{id}/court/stage", s.Signed(lawyer, s.handleAdvanceStage))
	mux.Handle("POST /cases/{id}/court/outcome", s.Signed(lawyer, s.handleRecordOutcome))
	mux.Handle("POST /cases/{id}/court/hearings", s.Signed(lawyer, s.handleAddHearing))
	mux.Handle("POST /cases/{id}/court/hearings/{hearing}", s.Signed(lawyer, s.handleUpdateHearing))
	mux.Handle("POST /cases/{id}/court/hearings/{hearing}/cancel", s.Signed(lawyer, s.handleCancelHearing))
	mux.Handle("POST /cases/{id}/court/deadlines", s.Signed(lawyer, s.handleAddDeadline))
	mux.Handle("POST /cases/{id}/court/deadlines/{deadline}/status", s.Signed(lawyer, s.handleMarkDeadline))
	mux.Handle("POST /cases/{id}/court/deadlines/{deadline}/cancel", s.Signed(lawyer, s.handleCancelDeadline))
	mux.Handle("POST /cases/{id}/claims", s.Signed(lawyer, s.handleCreateClaim))
	mux.Handle("POST /cases/{id}/claims/{claim}/file", s.Signed(lawyer, s.handleFileClaim))
	mux.Handle("POST /cases/{id}/claims/{claim}/award", s.Signed(lawyer, s.handleRecordAward))
	mux.Handle("POST /cases/{id}/claims/{claim}/reject", s.Signed(lawyer, s.handleRejectClaim))
	mux.Handle("POST /cases/{id}/claims/{claim}/appeal", s.Signed(lawyer, s.handleAppealClaim))
	mux.Handle("POST /cases/{id}/claims/{claim}/unenforceable", s.Signed(lawyer, s.handleMarkUnenforceable))
	mux.Handle("POST /cases/{id}/claims/{claim}/payments", s.Signed(lawyer, s.handleRecordPayment))
	mux.Handle("POST /cases/{id}/claims/{claim}/corrections", s.Signed(lawyer, s.handleCorrectPayment))
	mux.Handle("GET /calendar", s.Signed(lawyer, s.handleCalendar))
	mux.Handle("GET /calendar.ics", s.Signed(lawyer, s.handleCalendarICS))
}

// litigationClients are the court and compensation services.
func (s *Server) proceedings() casebridgev1.ProceedingServiceClient {
	return casebridgev1.NewProceedingServiceClient(s.conn)
}

func (s *Server) compensation() casebridgev1.CompensationServiceClient {
	return casebridgev1.NewCompensationServiceClient(s.conn)
}

// apiRefused shows the page for an API refusal: "not permitted" for
// PermissionDenied, "not found" for NotFound, the general error otherwise.
func (s *Server) apiRefused(w http.ResponseWriter, q *Request, err error) {
	if isCode(err, codes.PermissionDenied) {
		s.render(w, q, http.StatusForbidden, "forbidden", "title.forbidden", nil)
		return
	}
	e := explain(err, nil)
	s.fail(w, q, e.Status, e.Key)
}

// courtListData is the lawyer's list of proceedings.
type courtListData struct {
	Proceedings []*casebridgev1.Proceeding
	Next        string
}

func (s *Server) handleCourtList(w http.ResponseWriter, q *Request) {
	resp, err := s.proceedings().ListProceedings(q.Ctx, &casebridgev1.ListProceedingsRequest{PageSize: 50, PageToken: q.URL.Query().Get("page")})
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	d := courtListData{Proceedings: resp.GetProceedings()}
	if t := resp.GetNextPageToken(); t != "" {
		d.Next = "page=" + t
	}
	s.render(w, q, http.StatusOK, "court", "title.court", d)
}

// proceedingView is one proceeding with what hangs off it.
type proceedingView struct {
	P         *casebridgev1.Proceeding
	Hearings  []*casebridgev1.Hearing
	Deadlines []*casebridgev1.Deadline
	// Next are the stages it may move to.
	Next []casebridgev1.ProceedingStage
	// Reached are the stages up to its present one: where a decision may
	// have been made.
	Reached []casebridgev1.ProceedingStage
}

// nextStages are the stages a proceeding at from may move to: any later
// one, and from appeal back to first instance (a retrial). The server
// holds the rule; the form offers only what it allows.
func nextStages(from casebridgev1.ProceedingStage) []casebridgev1.ProceedingStage {
	var out []casebridgev1.ProceedingStage
	if from == casebridgev1.ProceedingStage_PROCEEDING_STAGE_APPEAL {
		out = append(out, casebridgev1.ProceedingStage_PROCEEDING_STAGE_FIRST_INSTANCE)
	}
	for st := from + 1; st <= casebridgev1.ProceedingStage_PROCEEDING_STAGE_FINAL; st++ {
		out = append(out, st)
	}
	return out
}

// claimView is one claim with its payment ledger.
type claimView struct {
	C        *casebridgev1.Claim
	Payments []*casebridgev1.Payment
	// Reversed are the ids of entries a later correction fixes.
	Reversed map[string]bool
}

// caseCourtData is a case's court page.
type caseCourtData struct {
	CaseID      string
	Reference   string
	Proceedings []proceedingView
	Claims      []claimView
	Totals      []*casebridgev1.ClaimTotals
	// Form choices.
	Kinds        []casebridgev1.ProceedingKind
	VictimRoles  []casebridgev1.VictimRole
	HearingTypes []casebridgev1.HearingType
	DeadlineKind []casebridgev1.DeadlineKind
	ClaimTypes   []casebridgev1.ClaimType
	PartyKinds   []casebridgev1.ClaimPartyKind
	OutcomeKinds []casebridgev1.OutcomeKind
	// HearingStatuses are those a hearing may be set to (cancelling is its own form).
	HearingStatuses []casebridgev1.HearingStatus
	// RequestID makes a retried create form create once.
	RequestID string
	Error     string
	Fields    map[string]string
	Today     string
}

func (s *Server) handleCaseCourt(w http.ResponseWriter, q *Request) {
	s.caseCourt(w, q, http.StatusOK, nil)
}

// caseCourt renders the court page of the case in the path; problem, when
// not nil, is the refusal of the form just posted.
func (s *Server) caseCourt(w http.ResponseWriter, q *Request, status int, problem *apiError) {
	caseID := q.PathValue("id")
	if uuid.Validate(caseID) != nil {
		s.fail(w, q, http.StatusNotFound, "error.not_found")
		return
	}
	ps := s.proceedings()
	list, err := ps.ListProceedings(q.Ctx, &casebridgev1.ListProceedingsRequest{CaseId: caseID, PageSize: 50})
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	d := caseCourtData{CaseID: caseID, Kinds: enumRun(casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL, 4),
		VictimRoles: enumRun(casebridgev1.VictimRole_VICTIM_ROLE_INJURED_PARTY, 3), HearingTypes: enumRun(casebridgev1.HearingType_HEARING_TYPE_PRELIMINARY, 5),
		DeadlineKind: enumRun(casebridgev1.DeadlineKind_DEADLINE_KIND_APPEAL, 4), ClaimTypes: enumRun(casebridgev1.ClaimType_CLAIM_TYPE_CRIMINAL_PROCEEDINGS, 5),
		PartyKinds:   enumRun(casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_DEFENDANT, 4),
		OutcomeKinds: enumRun(casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION, 4), HearingStatuses: enumRun(casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED, 3),
		RequestID: uuid.NewString(), Today: time.Now().In(s.loc).Format(time.DateOnly)}
	for _, p := range list.GetProceedings() {
		v := proceedingView{P: p}
		if d.Reference == "" {
			d.Reference = p.GetCaseReference()
		}
		v.Next = nextStages(p.GetStage())
		for st := casebridgev1.ProceedingStage_PROCEEDING_STAGE_INVESTIGATION; st <= p.GetStage(); st++ {
			v.Reached = append(v.Reached, st)
		}
		hs, err := ps.ListHearings(q.Ctx, &casebridgev1.ListHearingsRequest{ProceedingId: p.GetId(), PageSize: 100, View: casebridgev1.HearingView_HEARING_VIEW_BASIC})
		if err != nil {
			s.apiRefused(w, q, err)
			return
		}
		v.Hearings = hs.GetHearings()
		ds, err := ps.ListDeadlines(q.Ctx, &casebridgev1.ListDeadlinesRequest{ProceedingId: p.GetId(), PageSize: 100})
		if err != nil {
			s.apiRefused(w, q, err)
			return
		}
		v.Deadlines = ds.GetDeadlines()
		d.Proceedings = append(d.Proceedings, v)
	}
	cs := s.compensation()
	claims, err := cs.ListClaims(q.Ctx, &casebridgev1.ListClaimsRequest{CaseId: caseID, PageSize: 50})
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	for _, c := range claims.GetClaims() {
		if d.Reference == "" {
			d.Reference = c.GetCaseReference()
		}
		pays, err := cs.ListPayments(q.Ctx, &casebridgev1.ListPaymentsRequest{ClaimId: c.GetId(), PageSize: 100})
		if err != nil {
			s.apiRefused(w, q, err)
			return
		}
		v := claimView{C: c, Payments: pays.GetPayments(), Reversed: map[string]bool{}}
		for _, pay := range v.Payments {
			if id := pay.GetCorrectsPaymentId(); id != "" {
				v.Reversed[id] = true
			}
		}
		d.Claims = append(d.Claims, v)
	}
	sum, err := cs.GetClaimSummary(q.Ctx, &casebridgev1.GetClaimSummaryRequest{CaseId: caseID})
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	d.Totals = sum.GetTotals()
	if problem != nil {
		d.Error, d.Fields = q.L.T(problem.Key), problem.Fields
	}
	s.render(w, q, status, "court_case", "title.court_case", d)
}

// enumRun lists n consecutive enum values from first.
func enumRun[E ~int32](first E, n int) []E {
	out := make([]E, n)
	for i := range out {
		out[i] = first + E(i)
	}
	return out
}

// courtFormFailed answers a refused form: the court page again with the
// reason, or the "not permitted"/"not found" page.
func (s *Server) courtFormFailed(w http.ResponseWriter, q *Request, err error, fieldOf func(string) string) {
	if isCode(err, codes.PermissionDenied) || isCode(err, codes.NotFound) {
		s.apiRefused(w, q, err)
		return
	}
	e := explain(err, fieldOf)
	e.Key = courtErrorKey(err, e)
	if st, _ := status.FromError(err); st.Code() == codes.InvalidArgument && strings.Contains(st.Message(), "is in the past") {
		for k := range e.Fields {
			e.Fields[k] = "court.error.hearing_past"
		}
	}
	s.caseCourt(w, q, e.Status, &e)
}

// formInvalid re-renders the court page with field marked invalid before any call.
func (s *Server) formInvalid(w http.ResponseWriter, q *Request, field string) {
	s.caseCourt(w, q, http.StatusUnprocessableEntity, &apiError{Key: "error.invalid", Fields: map[string]string{field: "error.field_invalid"}})
}

func (s *Server) courtDone(w http.ResponseWriter, q *Request, flash string) {
	redirect(w, q.Request, "/cases/"+q.PathValue("id")+"/court", flash)
}

// lastSegment maps a server field path to the form field named by its last part.
func lastSegment(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

func formEnum[E ~int32](q *Request, name string, values map[string]int32) E {
	return E(values[q.PostFormValue(name)])
}

func (s *Server) handleCreateProceeding(w http.ResponseWriter, q *Request) {
	tz := strings.TrimSpace(q.PostFormValue("court_time_zone"))
	if _, err := time.LoadLocation(tz); err != nil || tz == "" {
		s.formInvalid(w, q, "court_time_zone")
		return
	}
	req := &casebridgev1.CreateProceedingRequest{CaseId: q.PathValue("id"), RequestId: q.PostFormValue("request_id"), Proceeding: &casebridgev1.Proceeding{
		Kind:                formEnum[casebridgev1.ProceedingKind](q, "kind", casebridgev1.ProceedingKind_value),
		Court:               strings.TrimSpace(q.PostFormValue("court")),
		DocketNumber:        strings.TrimSpace(q.PostFormValue("docket_number")),
		JurisdictionCountry: strings.ToUpper(strings.TrimSpace(q.PostFormValue("jurisdiction_country"))),
		CourtTimeZone:       tz,
		VictimRole:          formEnum[casebridgev1.VictimRole](q, "victim_role", casebridgev1.VictimRole_value),
		StartDate:           q.PostFormValue("start_date"),
		ResponsibleLawyer:   q.S.Subject,
	}}
	if _, err := s.proceedings().CreateProceeding(q.Ctx, req); err != nil {
		s.courtFormFailed(w, q, err, lastSegment)
		return
	}
	s.courtDone(w, q, "flash.proceeding_created")
}

func (s *Server) handleAdvanceStage(w http.ResponseWriter, q *Request) {
	_, err := s.proceedings().AdvanceStage(q.Ctx, &casebridgev1.AdvanceStageRequest{Id: q.PostFormValue("proceeding"),
		Etag: q.PostFormValue("etag"), Stage: formEnum[casebridgev1.ProceedingStage](q, "stage", casebridgev1.ProceedingStage_value)})
	if err != nil {
		s.courtFormFailed(w, q, err, nil)
		return
	}
	s.courtDone(w, q, "flash.stage_advanced")
}

// courtTime reads a date and a time of day entered in the court's zone.
func courtTime(date, clock, zone string) (time.Time, bool) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, false
	}
	if clock == "" {
		clock = "00:00"
	}
	const layout = "2006-01-02 15:04"
	t, err := time.ParseInLocation(layout, date+" "+clock, loc)
	// A time the clocks skip when they go forward does not exist at the
	// court; Go would silently move it by an hour.
	return t, err == nil && t.Format(layout) == date+" "+clock
}

// proceedingZone is the court zone of a proceeding of the case.
func (s *Server) proceedingZone(q *Request, id string) (string, error) {
	resp, err := s.proceedings().GetProceeding(q.Ctx, &casebridgev1.GetProceedingRequest{Id: id})
	if err != nil {
		return "", err
	}
	return resp.GetProceeding().GetCourtTimeZone(), nil
}

func (s *Server) handleAddHearing(w http.ResponseWriter, q *Request) {
	pid := q.PostFormValue("proceeding")
	zone, err := s.proceedingZone(q, pid)
	if err != nil {
		s.courtFormFailed(w, q, err, nil)
		return
	}
	start, ok := courtTime(q.PostFormValue("date"), q.PostFormValue("time"), zone)
	if !ok {
		s.formInvalid(w, q, fieldKey("hearing_date", pid))
		return
	}
	_, err = s.proceedings().AddHearing(q.Ctx, &casebridgev1.AddHearingRequest{ProceedingId: pid, RequestId: q.PostFormValue("request_id"),
		Hearing: &casebridgev1.Hearing{StartTime: timestamp(start), Type: formEnum[casebridgev1.HearingType](q, "type", casebridgev1.HearingType_value),
			Status: casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED}})
	if err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("hearing_date", pid)))
		return
	}
	s.courtDone(w, q, "flash.hearing_added")
}

func (s *Server) handleAddDeadline(w http.ResponseWriter, q *Request) {
	pid := q.PostFormValue("proceeding")
	zone, err := s.proceedingZone(q, pid)
	if err != nil {
		s.courtFormFailed(w, q, err, nil)
		return
	}
	due, ok := courtTime(q.PostFormValue("date"), "23:59", zone)
	if !ok {
		s.formInvalid(w, q, fieldKey("deadline_date", pid))
		return
	}
	_, err = s.proceedings().AddDeadline(q.Ctx, &casebridgev1.AddDeadlineRequest{ProceedingId: pid, RequestId: q.PostFormValue("request_id"),
		Deadline: &casebridgev1.Deadline{DueTime: timestamp(due), Kind: formEnum[casebridgev1.DeadlineKind](q, "kind", casebridgev1.DeadlineKind_value),
			Description: strings.TrimSpace(q.PostFormValue("description")), Status: casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN}})
	if err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("deadline_date", pid)))
		return
	}
	s.courtDone(w, q, "flash.deadline_added")
}

func (s *Server) handleCreateClaim(w http.ResponseWriter, q *Request) {
	cur := strings.ToUpper(strings.TrimSpace(q.PostFormValue("currency")))
	amount, ok := parseMoney(q.PostFormValue("amount"), cur)
	if !ok {
		s.formInvalid(w, q, "claim_amount")
		return
	}
	c := &casebridgev1.Claim{Type: formEnum[casebridgev1.ClaimType](q, "type", casebridgev1.ClaimType_value), AmountClaimed: amount,
		ProceedingId: q.PostFormValue("proceeding")}
	if k := formEnum[casebridgev1.ClaimPartyKind](q, "respondent_kind", casebridgev1.ClaimPartyKind_value); k != 0 {
		c.Respondent = &casebridgev1.ClaimParty{Kind: k, Name: strings.TrimSpace(q.PostFormValue("respondent_name"))}
	}
	if _, err := s.compensation().CreateClaim(q.Ctx, &casebridgev1.CreateClaimRequest{CaseId: q.PathValue("id"), Claim: c, RequestId: q.PostFormValue("request_id")}); err != nil {
		s.courtFormFailed(w, q, err, func(string) string { return "claim_amount" })
		return
	}
	s.courtDone(w, q, "flash.claim_created")
}

func (s *Server) handleFileClaim(w http.ResponseWriter, q *Request) {
	if _, err := s.compensation().FileClaim(q.Ctx, &casebridgev1.FileClaimRequest{Id: q.PathValue("claim"), Etag: q.PostFormValue("etag"),
		FiledDate: q.PostFormValue("date")}); err != nil {
		s.courtFormFailed(w, q, err, nil)
		return
	}
	s.courtDone(w, q, "flash.claim_filed")
}

func (s *Server) handleRecordAward(w http.ResponseWriter, q *Request) {
	amount, ok := parseMoney(q.PostFormValue("amount"), q.PostFormValue("currency"))
	if !ok {
		s.formInvalid(w, q, fieldKey("award_amount", q.PathValue("claim")))
		return
	}
	if _, err := s.compensation().RecordAward(q.Ctx, &casebridgev1.RecordAwardRequest{Id: q.PathValue("claim"), Etag: q.PostFormValue("etag"),
		Amount: amount, DecisionDate: q.PostFormValue("date")}); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("award_amount", q.PathValue("claim"))))
		return
	}
	s.courtDone(w, q, "flash.award_recorded")
}

func (s *Server) handleRecordPayment(w http.ResponseWriter, q *Request) {
	amount, ok := parseMoney(q.PostFormValue("amount"), q.PostFormValue("currency"))
	if !ok {
		s.formInvalid(w, q, fieldKey("payment_amount", q.PathValue("claim")))
		return
	}
	req := &casebridgev1.RecordPaymentRequest{ClaimId: q.PathValue("claim"), Etag: q.PostFormValue("etag"), Amount: amount,
		PaidDate: q.PostFormValue("date"), RequestId: q.PostFormValue("request_id")}
	if k := formEnum[casebridgev1.ClaimPartyKind](q, "payer_kind", casebridgev1.ClaimPartyKind_value); k != 0 {
		req.Payer = &casebridgev1.ClaimParty{Kind: k, Name: strings.TrimSpace(q.PostFormValue("payer_name"))}
	}
	if _, err := s.compensation().RecordPayment(q.Ctx, req); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("payment_amount", q.PathValue("claim"))))
		return
	}
	s.courtDone(w, q, "flash.payment_recorded")
}

// CourtTime writes a hearing's or deadline's time (a protobuf timestamp or
// a time.Time) in the court's zone, naming the zone, since the lawyer may
// be elsewhere.
func (p *Page) CourtTime(ts any, zone string) string {
	var t time.Time
	switch v := ts.(type) {
	case time.Time:
		t = v
	case interface{ AsTime() time.Time }:
		t = v.AsTime()
	default:
		return ""
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = p.L.Form.Location
	}
	t = t.In(loc)
	abbr, _ := t.Zone()
	return fmt.Sprintf("%s %s", p.L.Form.In(loc).DateTime(t), abbr)
}

// MoneyOf formats a Money message; nil is "—".
func (p *Page) MoneyOf(m *casebridgev1.Money) string {
	if m == nil || m.GetCurrencyCode() == "" {
		return "—"
	}
	return p.L.Form.Money(m.GetAmountMinor(), m.GetCurrencyCode())
}

// CourtDate and CourtClock are a hearing's date and time of day in its
// court's zone, as the edit form's date and time inputs take them.
func (p *Page) CourtDate(ts interface{ AsTime() time.Time }, zone string) string {
	return inZone(ts.AsTime(), zone).Format(time.DateOnly)
}

// CourtClock: see CourtDate.
func (p *Page) CourtClock(ts interface{ AsTime() time.Time }, zone string) string {
	return inZone(ts.AsTime(), zone).Format("15:04")
}

// Instant is a timestamp as RFC 3339, for a form's record of a value as shown.
func (p *Page) Instant(ts interface{ AsTime() time.Time }) string {
	return ts.AsTime().UTC().Format(time.RFC3339)
}

func inZone(t time.Time, zone string) time.Time {
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		return t.In(loc)
	}
	return t.UTC()
}
