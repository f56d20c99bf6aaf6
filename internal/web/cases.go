package web

import (
	"html/template"
	"net/http"
	"strings"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (s *Server) routesCases(mux *http.ServeMux) {
	mux.Handle("GET /cases", s.Signed(Access{Roles: caseRoles}, s.handleCaseList))
	mux.Handle("POST /cases/search", s.Signed(Access{Roles: caseRoles}, s.handleCaseSearch))
}

// caseListPageSize is the rows of one page of the case list.
const caseListPageSize = 50

// caseListData is the case list page.
type caseListData struct {
	Cases     []*casebridgev1.Case
	Statuses  []casebridgev1.CaseStatus
	Forms     []casebridgev1.ExploitationForm
	Status    casebridgev1.CaseStatus
	Form      casebridgev1.ExploitationForm
	Mine      bool
	Reference string
	// Next is the URL of the next page (built here with url.Values, so
	// the template need not escape it again); empty on the last.
	Next  template.URL
	First bool
	Error string
}

func (s *Server) handleCaseList(w http.ResponseWriter, q *Request) {
	v := q.URL.Query()
	d := caseListData{Statuses: caseStatuses(), Forms: exploitationForms(), First: v.Get("page") == ""}
	req := &casebridgev1.ListCasesRequest{PageSize: caseListPageSize, PageToken: v.Get("page"), OrganizationId: q.S.Org}
	if st, ok := casebridgev1.CaseStatus_value[v.Get("status")]; ok {
		d.Status, req.Status = casebridgev1.CaseStatus(st), casebridgev1.CaseStatus(st)
	}
	if f, ok := casebridgev1.ExploitationForm_value[v.Get("form")]; ok {
		d.Form, req.ExploitationForm = casebridgev1.ExploitationForm(f), casebridgev1.ExploitationForm(f)
	}
	if v.Get("mine") == "1" {
		d.Mine, req.AssignedCaseworker = true, q.S.Subject
	}
	s.listCases(w, q, req, &d)
}

// handleCaseSearch finds a case by its reference. It is a form post, not a
// query string, so that a reference never sits in the browser's history or
// a proxy's log.
func (s *Server) handleCaseSearch(w http.ResponseWriter, q *Request) {
	ref := strings.ToUpper(strings.TrimSpace(q.PostFormValue("reference")))
	d := caseListData{Statuses: caseStatuses(), Forms: exploitationForms(), Reference: ref, First: true}
	if ref == "" {
		http.Redirect(w, q.Request, "/cases", http.StatusSeeOther)
		return
	}
	s.listCases(w, q, &casebridgev1.ListCasesRequest{PageSize: caseListPageSize, Reference: ref, OrganizationId: q.S.Org}, &d)
}

func (s *Server) listCases(w http.ResponseWriter, q *Request, req *casebridgev1.ListCasesRequest, d *caseListData) {
	req.View = casebridgev1.CaseView_CASE_VIEW_BASIC
	resp, err := s.api.cases.ListCases(q.Ctx, req)
	if err != nil {
		e := explain(err, nil)
		d.Error = q.L.T(e.Key)
		s.render(w, q, e.Status, "cases", "title.cases", d)
		return
	}
	d.Cases = resp.GetCases()
	if t := resp.GetNextPageToken(); t != "" && d.Reference == "" {
		next := q.URL.Query()
		next.Set("page", t)
		d.Next = template.URL("/cases?" + next.Encode())
	}
	s.render(w, q, http.StatusOK, "cases", "title.cases", d)
}

func caseStatuses() []casebridgev1.CaseStatus {
	return []casebridgev1.CaseStatus{casebridgev1.CaseStatus_CASE_STATUS_OPEN, casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE,
		casebridgev1.CaseStatus_CASE_STATUS_SUSPENDED, casebridgev1.CaseStatus_CASE_STATUS_CLOSED}
}

func exploitationForms() []casebridgev1.ExploitationForm {
	var out []casebridgev1.ExploitationForm
	for i := int32(1); ; i++ {
		if _, ok := casebridgev1.ExploitationForm_name[i]; !ok {
			return out
		}
		out = append(out, casebridgev1.ExploitationForm(i))
	}
}
