package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/devworld"
	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/session"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// ErrNoMembership: the token is valid but names nobody the server knows
// as a member of an organisation.
var ErrNoMembership = errors.New("web: the signed-in user is a member of no organisation")

// StartSession is where every sign-in method ends: it asks the server who
// the token names (so a token the server refuses starts nothing), starts
// the session and sends the browser to the user's first page. A sign-in
// method calls it with what it obtained; on an error it has written
// nothing, and the caller shows the sign-in page again.
func (s *Server) StartSession(w http.ResponseWriter, r *http.Request, l session.Login) error {
	home, err := s.startSession(w, r, l)
	if err != nil {
		return err
	}
	http.Redirect(w, r, home, http.StatusSeeOther)
	return nil
}

// startSession is StartSession without the redirect: it returns the user's
// first page, for a sign-in method that must move on its own way.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, l session.Login) (string, error) {
	ctx := metadata.AppendToOutgoingContext(r.Context(), "authorization", "Bearer "+l.Token)
	who, err := s.api.orgs.GetCallerIdentity(ctx, &casebridgev1.GetCallerIdentityRequest{})
	if err != nil {
		return "", err
	}
	if l.Subject == "" {
		l.Subject = who.GetSubject()
	}
	if who.GetSubject() != l.Subject {
		return "", errors.New("web: the token names another subject")
	}
	org, roles := activeMembership(who.GetMemberships())
	if org == "" {
		return "", ErrNoMembership
	}
	sess, err := s.sessions.Start(w, l, org, roles)
	if err != nil {
		return "", err
	}
	return s.home(sess), nil
}

// activeMembership picks the organisation the user acts for: the first
// membership with a role (the API lists them in a stable order).
func activeMembership(ms []*casebridgev1.Membership) (string, []string) {
	for _, m := range ms {
		if len(m.GetRoles()) == 0 {
			continue
		}
		roles := make([]string, 0, len(m.GetRoles()))
		for _, r := range m.GetRoles() {
			roles = append(roles, r.String())
		}
		return m.GetOrganizationId(), roles
	}
	return "", nil
}

// signInData is the sign-in page's data.
type signInData struct {
	Why     string   // message id: why the last session ended
	Problem string   // message id: why this sign-in failed
	Methods []string // SignIn names
	Users   []string // dev mode's demo users
}

func (s *Server) signInPage(w http.ResponseWriter, q *Request, status int, problem string) {
	d := signInData{Problem: problem}
	for _, m := range s.signIns {
		d.Methods = append(d.Methods, m.Name())
	}
	switch q.URL.Query().Get("why") {
	case "idle":
		d.Why = "signin.why_idle"
	case "expired":
		d.Why = "signin.why_expired"
	case "signedout":
		d.Why = "signin.why_signedout"
	case "signedout_unconfirmed":
		d.Why = "signin.why_signedout_unconfirmed"
	case "ended":
		d.Why = "signin.why_ended"
	}
	if s.cfg.Dev {
		for _, m := range devworld.Members {
			d.Users = append(d.Users, m.Subject)
		}
	}
	s.render(w, q, status, "signin", "title.signin", d)
}

func (s *Server) handleSignIn(w http.ResponseWriter, q *Request) {
	if sess, err := s.sessions.Load(q.Request); err == nil {
		http.Redirect(w, q.Request, s.home(sess), http.StatusSeeOther)
		return
	}
	s.signInPage(w, q, http.StatusOK, "")
}

// handleIdle is where an unattended page goes when its session's idle time
// is up: it shows no victim data, and signs the browser out if the session
// really ended (another tab may have kept it alive).
func (s *Server) handleIdle(w http.ResponseWriter, q *Request) {
	sess, err := s.sessions.Load(q.Request)
	if err != nil {
		if errors.Is(err, session.ErrIdle) {
			s.endIdle(q.Request)
		}
		s.sessions.End(w)
		http.Redirect(w, q.Request, "/signin?why=idle", http.StatusSeeOther)
		return
	}
	q.S = sess
	s.render(w, q, http.StatusOK, "idle", "title.idle", nil)
}

// handleLang switches the language and goes back to the page it came from.
func (s *Server) handleLang(w http.ResponseWriter, q *Request) {
	if t, ok := i18n.Supported(q.URL.Query().Get("to")); ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: t.String(), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: !s.cfg.Dev, SameSite: http.SameSiteLaxMode})
	}
	back := localPath(q.URL.Query().Get("back"))
	http.Redirect(w, q.Request, back, http.StatusSeeOther)
}

// devSignIn signs in as a demo user, minting the token with the dev
// server's key as casectl login --dev does.
type devSignIn struct{}

func (devSignIn) Name() string { return "dev" }

func (devSignIn) Routes(s *Server, mux *http.ServeMux) {
	mux.Handle("POST /signin/dev", s.Public(func(w http.ResponseWriter, q *Request) {
		user := q.PostFormValue("user")
		known := false
		for _, m := range devworld.Members {
			known = known || m.Subject == user
		}
		if !known {
			s.signInPage(w, q, http.StatusBadRequest, "signin.unknown_user")
			return
		}
		ttl := s.cfg.DevTokenTTL
		if ttl <= 0 {
			ttl = 8 * time.Hour
		}
		tok, err := s.dev.Mint(user, ttl)
		if err != nil {
			s.log.Error("web: mint dev token", "err", err)
			s.signInPage(w, q, http.StatusInternalServerError, "error.internal")
			return
		}
		if err := s.StartSession(w, q.Request, session.Login{Token: tok, Expiry: time.Now().Add(ttl), Subject: user}); err != nil {
			s.signInFailed(w, q, err)
		}
	}))
}

// signInFailed shows the sign-in page again, saying why in the user's language.
func (s *Server) signInFailed(w http.ResponseWriter, q *Request, err error) {
	key := "signin.failed"
	switch {
	case errors.Is(err, ErrNoMembership), status.Code(err) == codes.PermissionDenied:
		key = "signin.no_membership"
	case status.Code(err) == codes.Unavailable, errors.Is(err, context.DeadlineExceeded):
		key = "error.unavailable"
	}
	s.log.Info("web: sign-in refused", "code", status.Code(err).String())
	s.signInPage(w, q, http.StatusUnauthorized, key)
}

// homeFor lists, in order, each role's first page; the first role the user
// holds decides. Areas add theirs in routes.go.
func (s *Server) home(sess *session.Session) string {
	for _, h := range homes {
		if sess.HasRole(h.role) {
			return h.path
		}
	}
	return "/welcome"
}
