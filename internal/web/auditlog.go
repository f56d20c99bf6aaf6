package web

import (
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The auditor's area: who read or changed which case, by case, subject and
// time, and the proof that the log was not altered (the hash chain checked
// by the server from the first event to the last).
func (s *Server) routesAudit(mux *http.ServeMux) {
	mux.Handle("GET /audit", s.Signed(Access{}, s.handleAuditEvents))
	mux.Handle("POST /audit/events", s.Signed(Access{}, s.handleAuditEvents))
	mux.Handle("POST /audit/verify", s.Signed(Access{}, s.handleAuditVerify))
}

func (s *Server) auditLog() casebridgev1.AuditServiceClient {
	return casebridgev1.NewAuditServiceClient(s.conn)
}

// auditData is the audit page.
type auditData struct {
	CaseID, Subject, From, To string
	Events                    []*casebridgev1.AuditEvent
	// Next is the page token of the next page, posted back with the filter.
	Next   string
	Error  string
	Fields map[string]string
	// Verify is the chain check's answer, when one was asked for.
	Verify *verifyResult
}

type verifyResult struct {
	Intact   bool
	Checked  int64
	Broken   int64
	LastSeq  int64
	LastHash string
}

// handleAuditEvents lists events matching the filter. The filter is a form
// post, not a query string: a case id and a subject together say who worked
// on whose case, which belongs in no browser history.
func (s *Server) handleAuditEvents(w http.ResponseWriter, q *Request) {
	d := auditData{CaseID: strings.TrimSpace(q.PostFormValue("case")), Subject: strings.TrimSpace(q.PostFormValue("subject")),
		From: q.PostFormValue("from"), To: q.PostFormValue("to")}
	req := &casebridgev1.ListEventsRequest{PageSize: 100, PageToken: q.PostFormValue("page"), CaseId: d.CaseID, Subject: d.Subject}
	if d.CaseID != "" && uuid.Validate(d.CaseID) != nil {
		d.Error, d.Fields = q.L.T("error.invalid"), map[string]string{"case": "error.field_invalid"}
		s.render(w, q, http.StatusUnprocessableEntity, "audit", "title.audit", d)
		return
	}
	for _, f := range []struct {
		name, v string
		end     bool
		set     func(time.Time)
	}{
		{"from", d.From, false, func(t time.Time) { req.StartTime = timestamp(t) }},
		{"to", d.To, true, func(t time.Time) { req.EndTime = timestamp(t) }},
	} {
		if f.v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, f.v, s.loc)
		if err != nil {
			d.Error, d.Fields = q.L.T("error.invalid"), map[string]string{f.name: "error.field_invalid"}
			s.render(w, q, http.StatusUnprocessableEntity, "audit", "title.audit", d)
			return
		}
		if f.end {
			t = t.AddDate(0, 0, 1)
		}
		f.set(t)
	}
	resp, err := s.auditLog().ListEvents(q.Ctx, req)
	if err != nil {
		if e := explain(err, func(string) string { return "" }); e.Status == http.StatusUnprocessableEntity {
			d.Error = q.L.T(e.Key)
			s.render(w, q, e.Status, "audit", "title.audit", d)
			return
		}
		s.apiRefused(w, q, err)
		return
	}
	d.Events, d.Next = resp.GetEvents(), resp.GetNextPageToken()
	s.render(w, q, http.StatusOK, "audit", "title.audit", d)
}

// maxVerifyRounds bounds one check: the server checks a bounded stretch per
// call and says where to go on.
const maxVerifyRounds = 1000

func (s *Server) handleAuditVerify(w http.ResponseWriter, q *Request) {
	res := &verifyResult{Intact: true}
	req := &casebridgev1.VerifyChainRequest{}
	for i := 0; i < maxVerifyRounds; i++ {
		resp, err := s.auditLog().VerifyChain(q.Ctx, req)
		if err != nil {
			s.apiRefused(w, q, err)
			return
		}
		res.Checked += resp.GetEventsChecked()
		if len(resp.GetLastHash()) > 0 {
			res.LastSeq = resp.GetLastSequence()
			res.LastHash = hex.EncodeToString(resp.GetLastHash())
		}
		if !resp.GetIntact() {
			res.Intact, res.Broken = false, resp.GetFirstBrokenSequence()
			break
		}
		if resp.GetNextFromSequence() == 0 || resp.GetEventsChecked() == 0 {
			break
		}
		req = &casebridgev1.VerifyChainRequest{FromSequence: resp.GetNextFromSequence(), PreviousHash: resp.GetLastHash()}
	}
	s.render(w, q, http.StatusOK, "audit", "title.audit", auditData{Verify: res})
}

// Method is an audited call's name without its service, e.g. "GetCase".
func (p *Page) Method(full string) string {
	if i := strings.LastIndex(full, "/"); i >= 0 {
		return full[i+1:]
	}
	return full
}
