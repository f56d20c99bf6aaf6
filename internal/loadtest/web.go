package loadtest

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
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/web"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The web client's workloads (only when --workloads names "web"): the case
// list's first page (50 rows) and a case view rendered by casebridge-web,
// each beside the gRPC calls that page makes, made directly — so the
// difference is what the web client adds.
const (
	WWebCaseList     = "Web: case list, 50 rows (HTTP)"
	WWebCaseListGRPC = "Web: case list's call (gRPC direct)"
	WWebCaseView     = "Web: case view (HTTP)"
	WWebCaseViewGRPC = "Web: case view's calls (gRPC direct)"
)

func (c *Config) wantsWeb() bool { return slices.Contains(c.Workloads, "web") }

// webEnv is a web client in this process in front of the server, and a
// browser-like client signed in to it as the caseworker.
type webEnv struct {
	*env
	base string
	http *http.Client
	org  string
}

// startWeb runs casebridge-web (dev mode: demo sign-in with the server's
// dev key) on a loopback port until ctx ends.
func startWeb(ctx context.Context, e *env, addr, dataDir string, concurrency int) (*webEnv, func(), error) {
	srv, err := web.New(web.Config{Dev: true, Listen: "127.0.0.1:0", API: addr, APIInsecure: true, Idle: time.Hour,
		DevDataDir: dataDir, DevTokenTTL: 4 * time.Hour}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, fmt.Errorf("web client: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(wctx, lis) }()
	stop := func() { cancel(); <-done; srv.Close() }
	jar, _ := cookiejar.New(nil)
	w := &webEnv{env: e, base: "http://" + lis.Addr().String(), org: "shelter-a",
		http: &http.Client{Jar: jar, Timeout: callTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2}}}
	if err := w.signIn(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return w, stop, nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (w *webEnv) signIn(ctx context.Context) error {
	body, _, err := w.get(ctx, "/signin")
	if err != nil {
		return err
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		return errors.New("web sign-in page has no form token")
	}
	resp, err := w.http.PostForm(w.base+"/signin/dev", url.Values{"csrf": {m[1]}, "user": {caseworker}})
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/cases" {
		return fmt.Errorf("web sign-in: %s at %s", resp.Status, resp.Request.URL.Path)
	}
	return nil
}

func (w *webEnv) get(ctx context.Context, path string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

// caseList renders the first page of the case list.
func (w *webEnv) caseList(ctx context.Context, _ *worker) error {
	body, st, err := w.get(ctx, "/cases")
	if err != nil {
		return err
	}
	if st != http.StatusOK || strings.Count(body, `<a href="/cases/`) < 50 {
		return fmt.Errorf("web case list: %d with fewer than 50 rows", st)
	}
	return nil
}

// caseListGRPC is the case list page's one call.
func (w *webEnv) caseListGRPC(ctx context.Context, _ *worker) error {
	resp, err := w.cases.ListCases(w.as(ctx, caseworker), &casebridgev1.ListCasesRequest{PageSize: 50, OrganizationId: w.org,
		View: casebridgev1.CaseView_CASE_VIEW_BASIC})
	if err != nil {
		return err
	}
	if len(resp.GetCases()) != 50 {
		return fmt.Errorf("ListCases: %d rows", len(resp.GetCases()))
	}
	return nil
}

// caseView renders a random full case's page.
func (w *webEnv) caseView(ctx context.Context, wk *worker) error {
	id := w.full[wk.rng.IntN(len(w.full))].id
	body, st, err := w.get(ctx, "/cases/"+id)
	if err != nil {
		return err
	}
	if st != http.StatusOK || !strings.Contains(body, `id="case-ref"`) {
		return fmt.Errorf("web case view: %d", st)
	}
	return nil
}

// caseViewGRPC makes the calls the case view page makes, one after the
// other as the page does: the case with every class, its notes, consents
// and referrals, and the organisations a referral may go to.
func (w *webEnv) caseViewGRPC(ctx context.Context, wk *worker) error {
	id := w.full[wk.rng.IntN(len(w.full))].id
	ctx = w.as(ctx, caseworker)
	if _, err := w.cases.GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL}); err != nil {
		return err
	}
	if _, err := w.cases.ListNotes(ctx, &casebridgev1.ListNotesRequest{CaseId: id, PageSize: 100}); err != nil {
		return err
	}
	if _, err := w.cases.ListConsents(ctx, &casebridgev1.ListConsentsRequest{CaseId: id, PageSize: 100}); err != nil {
		return err
	}
	if _, err := w.referrals.ListReferrals(ctx, &casebridgev1.ListReferralsRequest{CaseId: id, PageSize: 100,
		OrganizationId: w.org, Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING}); err != nil {
		return err
	}
	_, err := casebridgev1.NewOrganizationServiceClient(w.conn).ListOrganizations(ctx, &casebridgev1.ListOrganizationsRequest{PageSize: 1000})
	return err
}
