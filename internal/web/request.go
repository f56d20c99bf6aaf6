package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/session"
)

// Request is one request to a page: the HTTP request, the user's session
// (nil on pages for signed-out users), their language, and Ctx, which
// carries the session's token to every API call made with it.
type Request struct {
	*http.Request
	S   *session.Session
	L   *i18n.Localizer
	Ctx context.Context
	// flash is the done action to announce (a message id under "flash.").
	flash string
	// preCSRF is the signed-out forms' token (the sign-in form).
	preCSRF string
	// watch notes an API call refused Unauthenticated (signed-in pages).
	watch *tokenWatch
}

// HandlerFunc is a page handler.
type HandlerFunc func(w http.ResponseWriter, q *Request)

// langCookie remembers the language the user switched to.
const langCookie = "lang"

func (s *Server) localizer(r *http.Request) *i18n.Localizer {
	choice := ""
	if c, err := r.Cookie(langCookie); err == nil {
		choice = c.Value
	}
	return s.cat.For(s.cat.Negotiate(choice, r.Header.Get("Accept-Language")))
}

func (s *Server) newRequest(r *http.Request, sess *session.Session) *Request {
	q := &Request{Request: r, S: sess, L: s.localizer(r), Ctx: r.Context()}
	if f := r.URL.Query().Get("done"); strings.HasPrefix(f, "flash.") && q.L.Has(f) {
		q.flash = f
	}
	if sess != nil {
		q.Ctx, q.watch = watchToken(metadata.AppendToOutgoingContext(r.Context(), "authorization", "Bearer "+sess.Token))
	}
	return q
}

// Access is who may open a page: signed-in users holding one of Roles
// (names of casebridge.v1.Role; none: any signed-in user). It decides only
// what the page offers; the server decides what the user may do.
type Access struct {
	Roles []string
	// Passive: the request is not the user's activity (a live update) and
	// does not extend the session.
	Passive bool
	// Streamed: the page's form is multipart and its handler streams it
	// (a document's upload), so the form's CSRF token is not read here —
	// that would buffer the whole body — but by the handler, from the
	// form's first part, before it reads anything else.
	Streamed bool
}

// Signed wraps a page for signed-in users: no session (or an ended one)
// goes to the sign-in page, a form without the session's CSRF token is
// refused, and every other request counts as activity. A page whose API
// call is refused Unauthenticated (the token was revoked: signed out in
// another window, on any replica) ends the session instead of showing.
func (s *Server) Signed(a Access, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.sessions.Load(r)
		if err != nil {
			if errors.Is(err, session.ErrIdle) {
				s.endIdle(r)
			}
			s.signedOut(w, r, err)
			return
		}
		q := s.newRequest(r, sess)
		if !safeMethod(r.Method) && !a.Streamed && !s.csrfOK(r, sess.CSRF) {
			s.csrfRefused(w, q)
			return
		}
		if len(a.Roles) > 0 && !sess.HasRole(a.Roles...) {
			s.fail(w, q, http.StatusNotFound, "error.not_found")
			return
		}
		if !a.Passive {
			if err := s.sessions.Touch(w, sess); err != nil {
				s.log.Error("web: reseal session", "err", err)
			}
		}
		h(&refusalWriter{ResponseWriter: w, r: r, s: s, watch: q.watch}, q)
	})
}

// Public wraps a page for anyone (the sign-in page). Its forms carry a
// token bound to a cookie of their own, so that a login CSRF is refused too.
func (s *Server) Public(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := s.newRequest(r, nil)
		tok := preCSRF(w, r, !s.cfg.Dev)
		if !safeMethod(r.Method) && !s.csrfOK(r, tok) {
			s.csrfRefused(w, q)
			return
		}
		q.preCSRF = tok
		h(w, q)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK compares the form's token with the expected one in constant time.
func (s *Server) csrfOK(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) csrfRefused(w http.ResponseWriter, q *Request) {
	s.fail(w, q, http.StatusForbidden, "error.csrf")
}

// signedOut answers a request without a live session: a page goes to the
// sign-in page (saying why, when it ended on its own); anything else (a
// form, a live update) is 401.
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request, err error) {
	s.sessions.End(w)
	if r.Method != http.MethodGet || r.Header.Get("Accept") == "text/event-stream" || r.Header.Get("X-Fragment") != "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	why := ""
	switch {
	case errors.Is(err, session.ErrIdle):
		why = "?why=idle"
	case errors.Is(err, session.ErrExpired):
		why = "?why=expired"
	case errors.Is(err, errTokenRefused):
		why = "?why=ended"
	}
	http.Redirect(w, r, "/signin"+why, http.StatusSeeOther)
}

// fail shows an error page with message id key.
func (s *Server) fail(w http.ResponseWriter, q *Request, status int, key string) {
	s.render(w, q, status, "error", "title.error", key)
}

// redirect sends the browser to a page of the client after a form, with
// an optional done message (a message id under "flash.").
func redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		path += "?done=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// localPath is p if it is a path of this site (no scheme, no host, no
// "//"), else "/": the language switch's way back must not lead elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}
