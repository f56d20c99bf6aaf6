// Package session keeps a signed-in user's session in the browser as one
// cookie sealed with XChaCha20-Poly1305 under a key every web replica
// shares, so that any replica behind a load balancer can serve any request
// and none keeps state. The bearer token lives only inside the sealed
// cookie, which is HttpOnly: no script on the page ever sees it.
//
// A session ends on its own after Idle without a request that counts as
// activity, or when its token expires; [Manager.End] ends it at once. The
// cookie is re-sealed with a fresh activity time on every page the user
// loads, and carries its own deadlines, so a replica needs nothing but the
// key to decide. A copy of the cookie stays usable until its idle deadline:
// signing out everywhere within that window is the job of the token's
// revocation at the server (see the README's section on sessions).
package session

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// CookieName is the session cookie's name. The __Host- prefix (outside dev
// mode, where the cookie is Secure) makes the browser refuse it unless it
// was set over HTTPS for this host and path /, without a Domain.
const (
	CookieName    = "__Host-casebridge"
	DevCookieName = "casebridge"
)

// Errors of Load.
var (
	// ErrNone: the request carries no session (or one no key opens).
	ErrNone = errors.New("session: not signed in")
	// ErrIdle: the session ended after too long without activity.
	ErrIdle = errors.New("session: signed out after inactivity")
	// ErrExpired: the token the session holds has expired.
	ErrExpired = errors.New("session: sign-in expired")
)

// Login is what a sign-in method (dev sign-in, OpenID Connect) hands over
// once it has a token: the bearer token for the API, when it expires, and
// whom the server says it names.
type Login struct {
	Token   string
	Expiry  time.Time
	Subject string
}

// Session is the state of one signed-in user.
type Session struct {
	// ID names the session (random); it is never shown, only logged as a hash.
	ID      string    `json:"i"`
	Subject string    `json:"s"`
	Token   string    `json:"t"`
	Expiry  time.Time `json:"e"`
	// CSRF is the session's anti-forgery token, embedded in every form.
	CSRF string `json:"c"`
	// Org is the organisation the user acts for; Roles their roles in it
	// (names of casebridge.v1.Role), for showing only what they may use —
	// the server decides what they may do.
	Org   string   `json:"o,omitempty"`
	Roles []string `json:"r,omitempty"`
	// Started and Seen: when it began, and the last activity.
	Started time.Time `json:"b"`
	Seen    time.Time `json:"a"`
}

// HasRole says whether the user holds one of the roles (Role names).
func (s *Session) HasRole(roles ...string) bool {
	for _, have := range s.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// Manager seals, opens and clears session cookies.
type Manager struct {
	aeads []cipher.AEAD // aeads[0] seals; all open (key rotation)
	// Idle is how long a session lives without activity.
	Idle time.Duration
	// Secure marks the cookie Secure and names it with the __Host- prefix;
	// only dev mode, on plain HTTP to loopback, turns it off.
	Secure bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// KeySize is the length of a session key in bytes.
const KeySize = chacha20poly1305.KeySize

// NewManager returns a manager sealing with keys[0] and opening with any of
// keys, so that replicas can roll a new key in before the old one is
// dropped.
func NewManager(keys [][]byte, idle time.Duration, secure bool) (*Manager, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: no key")
	}
	if idle <= 0 {
		return nil, errors.New("session: idle timeout must be positive")
	}
	m := &Manager{Idle: idle, Secure: secure}
	for i, k := range keys {
		a, err := chacha20poly1305.NewX(k)
		if err != nil {
			return nil, fmt.Errorf("session: key %d: %w", i+1, err)
		}
		m.aeads = append(m.aeads, a)
	}
	return m, nil
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}

// ReadKeyFile reads session keys from path: one base64 key of 32 bytes a
// line, the sealing key first; blank lines and lines starting with # are
// skipped. Every replica must be given the same file.
func ReadKeyFile(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session key file: %w", err)
	}
	var keys [][]byte
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("session key file %s line %d: want %d bytes in base64", path, n+1, KeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("session key file %s holds no key", path)
	}
	return keys, nil
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) cookieName() string {
	if m.Secure {
		return CookieName
	}
	return DevCookieName
}

// Start begins a session for l, setting its cookie on w. Any session the
// browser had is replaced, with a new ID and CSRF token (no fixation).
func (m *Manager) Start(w http.ResponseWriter, l Login, org string, roles []string) (*Session, error) {
	if l.Token == "" || l.Subject == "" {
		return nil, errors.New("session: a login needs a token and a subject")
	}
	now := m.now()
	if !l.Expiry.After(now) {
		return nil, ErrExpired
	}
	s := &Session{ID: random(), CSRF: random(), Subject: l.Subject, Token: l.Token, Expiry: l.Expiry,
		Org: org, Roles: roles, Started: now, Seen: now}
	return s, m.write(w, s)
}

// Load opens the request's session without counting the request as
// activity (the live stream of the inbox must not keep a session alive).
func (m *Manager) Load(r *http.Request) (*Session, error) {
	c, err := r.Cookie(m.cookieName())
	if err != nil {
		return nil, ErrNone
	}
	s, err := m.open(c.Value)
	if err != nil {
		return nil, ErrNone
	}
	now := m.now()
	switch {
	case !now.Before(s.Expiry):
		return nil, ErrExpired
	case now.Sub(s.Seen) >= m.Idle:
		return nil, ErrIdle
	}
	return s, nil
}

// Ended opens the request's session whatever its idle deadline, for ending
// a session that timed out: its token may still be valid at the server
// and is to be revoked there. A session whose token has expired is ErrExpired
// (nothing is left to revoke).
func (m *Manager) Ended(r *http.Request) (*Session, error) {
	c, err := r.Cookie(m.cookieName())
	if err != nil {
		return nil, ErrNone
	}
	s, err := m.open(c.Value)
	if err != nil {
		return nil, ErrNone
	}
	if !m.now().Before(s.Expiry) {
		return nil, ErrExpired
	}
	return s, nil
}

// Touch records activity now and re-seals the cookie.
func (m *Manager) Touch(w http.ResponseWriter, s *Session) error {
	s.Seen = m.now()
	return m.write(w, s)
}

// IdleDeadline is when s ends unless there is activity before.
func (m *Manager) IdleDeadline(s *Session) time.Time {
	d := s.Seen.Add(m.Idle)
	if s.Expiry.Before(d) {
		return s.Expiry
	}
	return d
}

// End clears the session cookie.
func (m *Manager) End(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: m.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteStrictMode})
}

func (m *Manager) write(w http.ResponseWriter, s *Session) error {
	v, err := m.seal(s)
	if err != nil {
		return err
	}
	// No Expires: the cookie dies with the browser; the deadlines inside
	// it end the session sooner.
	http.SetCookie(w, &http.Cookie{Name: m.cookieName(), Value: v, Path: "/",
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteStrictMode})
	return nil
}

// aad binds a sealed value to its purpose, so nothing else sealed under the
// same key can pass for a session.
var aad = []byte("casebridge web session v1")

func (m *Manager) seal(s *Session) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	a := m.aeads[0]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := a.Seal(nonce, nonce, plain, aad)
	if len(out) > 3000 {
		return "", errors.New("session: too large for a cookie")
	}
	return base64.RawURLEncoding.EncodeToString(out), nil
}

func (m *Manager) open(v string) (*Session, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	for _, a := range m.aeads {
		if len(raw) < a.NonceSize()+a.Overhead() {
			return nil, errors.New("session: short cookie")
		}
		plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], aad)
		if err != nil {
			continue
		}
		var s Session
		if err := json.Unmarshal(plain, &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	return nil, errors.New("session: no key opens the cookie")
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
