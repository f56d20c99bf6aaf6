package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
)

// contentSecurityPolicy lets a page load only this site's own scripts,
// styles and images, run no inline script or style, post forms only here,
// and be framed by nobody.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers of every response, and refuses a
// state-changing request from another site before it reaches a handler:
// net/http's CrossOriginProtection reads the browser's Sec-Fetch-Site (or
// Origin) header, which no page of another site can forge. The form token
// each handler checks on top of it (see Signed) covers browsers that send
// neither header.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.csrfRefused(w, s.newRequest(r, nil))
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		if !s.cfg.Dev || s.cfg.TLSCert != "" {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			// Pages show victim data: nothing may keep a copy (browser
			// cache, back button after sign-out, a proxy).
			h.Set("Cache-Control", "no-store")
			h.Set("Pragma", "no-cache")
		}
		next.ServeHTTP(w, r)
	}))
}

// preCSRFCookie holds the token of the signed-out forms.
const preCSRFCookie = "csrf"

func preCSRF(w http.ResponseWriter, r *http.Request, secure bool) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode})
	return tok
}
