// Package webtest runs the web client for browser tests: a real
// casebridged (internal/servertest: PostgreSQL, gRPC over a real listener)
// and the web client's handler on a real loopback listener, driven by the
// system's headless Chromium through chromedp.
//
// One browser serves a whole test binary (call [Main] from TestMain); each
// [NewBrowser] is a browser context of its own (its own cookies, like a
// separate profile) in a new tab, so two users can work side by side.
package webtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web"
)

// Env is a running casebridged and the web client in front of it.
type Env struct {
	API *servertest.Env
	Web *web.Server
	// URL is the web client's base URL, e.g. http://127.0.0.1:41234.
	URL string
	cfg web.Config
}

// Option adjusts the web client's configuration.
type Option func(*web.Config)

// Start runs casebridged and the web client (dev mode, signing demo users
// in with the server's dev key) until t ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return StartOn(t, servertest.Start(t), opts...)
}

// StartOn runs the web client (dev mode) in front of api until t ends. An
// OpenID Connect sign-in configured by opts without a redirect URL gets
// the client's own callback.
func StartOn(t testing.TB, api *servertest.Env, opts ...Option) *Env {
	t.Helper()
	cfg := web.Config{Dev: true, Listen: "127.0.0.1:0", API: api.Addr, APIInsecure: true, Idle: web.DefaultIdle,
		DevDataDir: api.DataDir}
	for _, o := range opts {
		o(&cfg)
	}
	return serve(t, api, cfg)
}

// Replica starts another web client in front of the same casebridged with
// the same configuration, as a second replica behind a load balancer (start
// e with a SessionKeyFile for them to share sessions). A browser sends both
// the same cookies: cookies do not tell ports apart.
func (e *Env) Replica(t testing.TB) *Env {
	t.Helper()
	return serve(t, e.API, e.cfg)
}

func serve(t testing.TB, api *servertest.Env, cfg web.Config) *Env {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webtest: listen: %v", err)
	}
	if cfg.OIDC.Issuer != "" && cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = "http://" + lis.Addr().String() + "/signin/oidc/callback"
	}
	srv, err := web.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		lis.Close()
		t.Fatalf("webtest: web client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webtest: serve: %v", err)
		}
		srv.Close()
	})
	return &Env{API: api, Web: srv, URL: "http://" + lis.Addr().String(), cfg: cfg}
}

// ChromiumPath is where the tests look for the browser: $CASEBRIDGE_CHROMIUM,
// else chromium (Debian's package) or chromium-browser on $PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("CASEBRIDGE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("webtest: no Chromium found: the browser tests need Debian's chromium package " +
		"(as root: apt-get install chromium, or run deploy/install-chromium.sh), " +
		"or CASEBRIDGE_CHROMIUM naming a Chromium binary")
}

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

// Main runs the tests of a package with browser tests and then closes the
// browser: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

func startBrowser() {
	path, err := ChromiumPath()
	if err != nil {
		browser.err = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1100, 760),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("accept-lang", "en-GB,en"),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root; as any other user it stays on.
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		browser.err = fmt.Errorf("webtest: start %s: %w", path, err)
		return
	}
	browser.ctx = ctx
	browser.cancel = func() { cancel(); cancelAlloc() }
}

// NewBrowser returns a tab in a browser context of its own (its own cookie
// jar), closed when t ends. Without a browser the test fails, saying what
// to install.
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("webtest: new browser context: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// Do runs browser actions with a time limit, failing the test on an error.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		Shot(t, ctx, "failed-"+sanitize(t.Name()))
		t.Fatalf("%s: %v", what, err)
	}
}

// Get runs one browser action returning a value, failing the test on an error.
func Get[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		Shot(t, ctx, "failed-"+sanitize(t.Name()))
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// SignIn signs in as a demo user on the dev sign-in page and waits for the
// first page.
func (e *Env) SignIn(t testing.TB, ctx context.Context, user string) {
	t.Helper()
	Do(t, ctx, "sign in as "+user,
		chromedp.Navigate(e.URL+"/signin"),
		chromedp.SetValue(chromedp.ID("user"), user),
		chromedp.Click(chromedp.ID("signin-dev")),
		chromedp.WaitVisible(chromedp.ID("signout")),
	)
}

// Text is the visible text of the page's body.
func Text(t testing.TB, ctx context.Context) string {
	t.Helper()
	return Get(t, ctx, "read the page", chromedp.Text(chromedp.CSS("body")))
}

// ScreenshotDir is where screenshots go: $CASEBRIDGE_SCREENSHOTS, else
// casebridge-web-screenshots under the system's temporary directory.
func ScreenshotDir() string {
	if d := os.Getenv("CASEBRIDGE_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "casebridge-web-screenshots")
}

// Shot saves a PNG of the tab's viewport as <name>.png in ScreenshotDir.
func Shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("webtest: screenshot %s: %v", name, err)
		return
	}
	dir := ScreenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("webtest: screenshot dir: %v", err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("webtest: screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// Client returns an HTTP client (no browser) signed in as a demo user
// through the dev sign-in form, for tests of headers and refusals.
func (e *Env) Client(t testing.TB, user string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	tok := FormToken(t, c, e.URL+"/signin")
	resp, err := c.PostForm(e.URL+"/signin/dev", url.Values{"csrf": {tok}, "user": {user}})
	if err != nil {
		t.Fatalf("webtest: sign in %s: %v", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/signin/dev" {
		t.Fatalf("webtest: sign in %s: %s at %s", user, resp.Status, resp.Request.URL.Path)
	}
	return c
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// FormToken loads page with c and returns the CSRF token of its forms.
func FormToken(t testing.TB, c *http.Client, page string) string {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatalf("webtest: get %s: %v", page, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		t.Fatalf("webtest: %s (%s) has no form token", page, resp.Status)
	}
	return string(m[1])
}

// WaitJS waits until the JavaScript expression is true in the tab (a
// page loaded after a click, a row a live update brought in). It asks
// again while a navigation replaces the page.
func WaitJS(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	Shot(t, ctx, "failed-"+sanitize(t.Name()))
	t.Fatalf("%s: %s still false after 20s (last error: %v)", what, expr, last)
}

// Path is the tab's current URL path.
func Path(t testing.TB, ctx context.Context) string {
	t.Helper()
	loc := Get(t, ctx, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return u.Path
}

// Submit runs steps that end in a form's submission (or a link's click)
// and waits for the next page to be loaded: the old page is marked first,
// so its own elements cannot pass for the new page's.
func Submit(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	Do(t, ctx, what, append([]chromedp.Action[chromedp.Void]{
		chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.webtestOld = '1'`)}, steps...)...)
	WaitJS(t, ctx, what, `!document.documentElement.dataset.webtestOld && document.readyState === 'complete'`)
}
