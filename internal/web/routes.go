package web

import (
	"io/fs"
	"net/http"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Role names as the session keeps them (casebridge.v1.Role value names).
var (
	roleCaseworker = casebridgev1.Role_ROLE_CASEWORKER.String()
	roleSupervisor = casebridgev1.Role_ROLE_SUPERVISOR.String()
	roleLawyer     = casebridgev1.Role_ROLE_LAWYER.String()
	caseRoles      = []string{roleCaseworker, roleSupervisor}
	referralRoles  = []string{roleCaseworker, roleSupervisor, roleLawyer}
)

// homes are each role's first page after sign-in, in order of precedence.
var homes = []struct{ role, path string }{
	{roleCaseworker, "/cases"},
	{roleSupervisor, "/cases"},
	{roleLawyer, "/referrals"},
	{casebridgev1.Role_ROLE_COORDINATOR.String(), "/stats"},
	{casebridgev1.Role_ROLE_AUDITOR.String(), "/audit"},
}

// routes is every page. Each area registers its own in a function of its
// file, so that areas are added without touching each other's routes.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(assetFS, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.Handle("GET /signin", s.Public(s.handleSignIn))
	mux.Handle("POST /signout", s.Signed(Access{}, s.handleSignOut))
	mux.Handle("GET /idle", s.Public(s.handleIdle))
	mux.Handle("GET /lang", s.Public(s.handleLang))
	mux.Handle("GET /welcome", s.Signed(Access{}, s.handleWelcome))
	mux.Handle("GET /{$}", s.Signed(Access{}, func(w http.ResponseWriter, q *Request) {
		http.Redirect(w, q.Request, s.home(q.S), http.StatusSeeOther)
	}))
	for _, m := range s.signIns {
		m.Routes(s, mux)
	}
	s.routesCases(mux)
	s.routesCaseView(mux)
	s.routesDocuments(mux)
	s.routesReferrals(mux)
	s.routesLitigation(mux)
	s.routesStats(mux)
	s.routesAudit(mux)
	// Anything else: the same page as a case one may not see.
	mux.Handle("/", s.Public(func(w http.ResponseWriter, q *Request) {
		s.fail(w, q, http.StatusNotFound, "error.not_found")
	}))
	return s.secure(mux)
}

// handleWelcome is the first page of a user no area claims.
func (s *Server) handleWelcome(w http.ResponseWriter, q *Request) {
	s.render(w, q, http.StatusOK, "welcome", "title.welcome", nil)
}
