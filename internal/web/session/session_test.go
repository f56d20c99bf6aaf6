package session_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/web/session"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func manager(t *testing.T, c *clock, keys ...[]byte) *session.Manager {
	t.Helper()
	m, err := session.NewManager(keys, 15*time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	m.Now = c.now
	return m
}

// start begins a session and returns the cookie the browser would keep.
func start(t *testing.T, m *session.Manager, expiry time.Time) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	if _, err := m.Start(w, session.Login{Token: "tok-secret", Subject: "caseworker@shelter-a", Expiry: expiry}, "shelter-a", []string{"ROLE_CASEWORKER"}); err != nil {
		t.Fatal(err)
	}
	return only(t, w)
}

func only(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("want one cookie, got %d", len(cs))
	}
	return cs[0]
}

func load(m *session.Manager, c *http.Cookie) (*session.Session, error) {
	r := httptest.NewRequest("GET", "/cases", nil)
	r.AddCookie(c)
	return m.Load(r)
}

// The cookie is HttpOnly, Secure, SameSite=Strict, __Host- prefixed, and
// holds the token only sealed: neither the token nor the subject can be
// read from it.
func TestCookieIsSealedAndLockedDown(t *testing.T) {
	c := &clock{time.Now()}
	m := manager(t, c, session.NewKey())
	ck := start(t, m, c.t.Add(time.Hour))
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Name != session.CookieName || ck.Path != "/" || ck.Domain != "" {
		t.Errorf("cookie attributes: %+v", ck)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(ck.Value)
	for _, secret := range []string{"tok-secret", "caseworker", "shelter-a"} {
		if strings.Contains(ck.Value, secret) || strings.Contains(string(raw), secret) {
			t.Errorf("cookie shows %q", secret)
		}
	}
	s, err := load(m, ck)
	if err != nil || s.Token != "tok-secret" || s.Subject != "caseworker@shelter-a" || s.CSRF == "" {
		t.Fatalf("load: %+v, %v", s, err)
	}
}

// Two replicas with the same key serve one session; a replica with another
// key sees no session; a key rolled in second still opens old cookies.
func TestReplicasShareTheKey(t *testing.T) {
	c := &clock{time.Now()}
	k1, k2 := session.NewKey(), session.NewKey()
	a, b := manager(t, c, k1), manager(t, c, k1)
	ck := start(t, a, c.t.Add(time.Hour))
	if _, err := load(b, ck); err != nil {
		t.Fatalf("replica b: %v", err)
	}
	if _, err := load(manager(t, c, k2), ck); !errors.Is(err, session.ErrNone) {
		t.Fatalf("other key: %v, want ErrNone", err)
	}
	if _, err := load(manager(t, c, k2, k1), ck); err != nil {
		t.Fatalf("rotated replica (new key first, old second): %v", err)
	}
}

// A changed byte anywhere makes the cookie no session at all.
func TestTamperedCookieIsNoSession(t *testing.T) {
	c := &clock{time.Now()}
	m := manager(t, c, session.NewKey())
	ck := start(t, m, c.t.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(ck.Value)
	for _, i := range []int{0, len(raw) / 2, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 1
		if _, err := load(m, &http.Cookie{Name: ck.Name, Value: base64.RawURLEncoding.EncodeToString(bad)}); !errors.Is(err, session.ErrNone) {
			t.Errorf("byte %d flipped: %v, want ErrNone", i, err)
		}
	}
}

// Idle sign-out: 15 minutes without activity ends the session; activity
// (Touch) moves the deadline; the token's expiry ends it regardless.
func TestIdleAndExpiry(t *testing.T) {
	c := &clock{time.Now()}
	m := manager(t, c, session.NewKey())
	ck := start(t, m, c.t.Add(time.Hour))

	c.t = c.t.Add(14 * time.Minute)
	s, err := load(m, ck)
	if err != nil {
		t.Fatalf("after 14 min: %v", err)
	}
	w := httptest.NewRecorder()
	if err := m.Touch(w, s); err != nil {
		t.Fatal(err)
	}
	touched := only(t, w)

	c.t = c.t.Add(14 * time.Minute)
	if _, err := load(m, ck); !errors.Is(err, session.ErrIdle) {
		t.Errorf("old cookie 28 min after sign-in: %v, want ErrIdle", err)
	}
	if _, err := load(m, touched); err != nil {
		t.Errorf("touched cookie 14 min after activity: %v", err)
	}
	c.t = c.t.Add(15 * time.Minute)
	if _, err := load(m, touched); !errors.Is(err, session.ErrIdle) {
		t.Errorf("15 min after activity: %v, want ErrIdle", err)
	}

	c2 := &clock{time.Now()}
	m2 := manager(t, c2, session.NewKey())
	ck2 := start(t, m2, c2.t.Add(5*time.Minute))
	c2.t = c2.t.Add(5 * time.Minute)
	if _, err := load(m2, ck2); !errors.Is(err, session.ErrExpired) {
		t.Errorf("at token expiry: %v, want ErrExpired", err)
	}
}

// End clears the cookie (MaxAge < 0).
func TestEndClearsTheCookie(t *testing.T) {
	m := manager(t, &clock{time.Now()}, session.NewKey())
	w := httptest.NewRecorder()
	m.End(w)
	ck := only(t, w)
	if ck.MaxAge >= 0 || ck.Value != "" || ck.Name != session.CookieName {
		t.Errorf("End's cookie: %+v", ck)
	}
}

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	k := base64.StdEncoding.EncodeToString(session.NewKey())
	good := filepath.Join(dir, "keys")
	os.WriteFile(good, []byte("# newest first\n"+k+"\n\n"+k+"\n"), 0o600)
	if keys, err := session.ReadKeyFile(good); err != nil || len(keys) != 2 {
		t.Errorf("good file: %d keys, %v", len(keys), err)
	}
	for name, body := range map[string]string{"empty": "# nothing\n", "short": base64.StdEncoding.EncodeToString([]byte("short")), "garbage": "not base64!"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := session.ReadKeyFile(p); err == nil {
			t.Errorf("%s key file accepted", name)
		}
	}
}
