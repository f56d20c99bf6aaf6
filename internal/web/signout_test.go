package web_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web"
	"github.com/casebridge/casebridge/internal/web/session"
	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// sharedKey writes a session key file for replicas to share and returns
// its path and the key.
func sharedKey(t *testing.T) (string, []byte) {
	t.Helper()
	key := session.NewKey()
	path := filepath.Join(t.TempDir(), "session-keys")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

// sessionCookie is c's session cookie for site.
func sessionCookie(t *testing.T, c *http.Client, site string) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(site)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == session.DevCookieName {
			return ck
		}
	}
	t.Fatalf("no session cookie for %s", site)
	return nil
}

// tokenIn opens a session cookie with the replicas' key, as any replica
// would, and returns the bearer token sealed in it.
func tokenIn(t *testing.T, key []byte, ck *http.Cookie) string {
	t.Helper()
	m, err := session.NewManager([][]byte{key}, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	s, err := m.Ended(req)
	if err != nil {
		t.Fatalf("open the session cookie: %v", err)
	}
	return s.Token
}

// withCookie is a client whose only cookie is ck, for site.
func withCookie(t *testing.T, site string, ck *http.Cookie) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(site)
	jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// get loads path with c and returns where it ended up and the page.
func get(t *testing.T, c *http.Client, page string) (*url.URL, string) {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Request.URL, string(body)
}

// apiCode is the code the API at env answers tok with.
func apiCode(t *testing.T, env *servertest.Env, tok string) codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	_, err := env.Cases().ListCases(ctx, &casebridgev1.ListCasesRequest{OrganizationId: "shelter-a", PageSize: 1})
	return status.Code(err)
}

// TestSignOutEndsACopiedSessionOnEveryReplica: a session cookie copied
// before sign-out (a second tab, a stolen copy) works on any replica until
// the sign-out; after signing out on web replica A, the copy is refused on
// web replica B and sent to the sign-in page, and the token inside it is
// Unauthenticated on every casebridged replica.
func TestSignOutEndsACopiedSessionOnEveryReplica(t *testing.T) {
	t.Parallel()
	keyFile, key := sharedKey(t)
	a := webtest.Start(t, func(c *web.Config) { c.SessionKeyFile = keyFile })
	b := a.Replica(t)
	api2 := servertest.StartOn(t, a.API.DBURL, a.API.DataDir)
	apis := map[string]*servertest.Env{"casebridged 1": a.API, "casebridged 2": api2}

	c := a.Client(t, "caseworker@shelter-a")
	copied := sessionCookie(t, c, a.URL)
	tok := tokenIn(t, key, copied)
	thief := withCookie(t, b.URL, copied)
	if at, _ := get(t, thief, b.URL+"/cases"); at.Path != "/cases" {
		t.Fatalf("before sign-out the copied cookie on replica B lands on %s", at)
	}
	for name, api := range apis {
		if code := apiCode(t, api, tok); code != codes.OK {
			t.Fatalf("%s before sign-out: %v", name, code)
		}
	}

	csrf := webtest.FormToken(t, c, a.URL+"/cases")
	resp, err := c.PostForm(a.URL+"/signout", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/signin" || resp.Request.URL.Query().Get("why") != "signedout" || !strings.Contains(string(body), "You are signed out.") {
		t.Fatalf("sign-out on A ends at %s:\n%s", resp.Request.URL, body)
	}

	at, page := get(t, thief, b.URL+"/cases")
	if at.Path != "/signin" || at.Query().Get("why") != "ended" || !strings.Contains(page, "Your session was ended") {
		t.Fatalf("after sign-out on A the copied cookie on replica B lands on %s:\n%s", at, page)
	}
	if strings.Contains(page, "SHA-") {
		t.Errorf("the refused page shows case data")
	}
	// The refusal also cleared the copy from the browser that sent it.
	if at, _ := get(t, thief, b.URL+"/welcome"); at.Path != "/signin" || at.Query().Get("why") != "" {
		t.Errorf("the copied cookie was not cleared: next page %s", at)
	}
	for name, api := range apis {
		if code := apiCode(t, api, tok); code != codes.Unauthenticated {
			t.Errorf("%s accepts the signed-out token: %v", name, code)
		}
	}
}

// TestIdleSignOutEndsTheToken: when a session ends for inactivity, the
// first request that finds it over revokes its token at the server, which
// a copy of the cookie would otherwise carry on using through the API.
func TestIdleSignOutEndsTheToken(t *testing.T) {
	t.Parallel()
	keyFile, key := sharedKey(t)
	env := webtest.Start(t, func(c *web.Config) { c.SessionKeyFile = keyFile; c.Idle = 2 * time.Second })
	c := env.Client(t, "caseworker@shelter-a")
	tok := tokenIn(t, key, sessionCookie(t, c, env.URL))
	if code := apiCode(t, env.API, tok); code != codes.OK {
		t.Fatalf("before the idle time: %v", code)
	}
	time.Sleep(2500 * time.Millisecond)
	if at, _ := get(t, c, env.URL+"/idle"); at.Path != "/signin" || at.Query().Get("why") != "idle" {
		t.Fatalf("idle page after the idle time: %s", at)
	}
	if code := apiCode(t, env.API, tok); code != codes.Unauthenticated {
		t.Errorf("the idle session's token still works at the API: %v", code)
	}
}
