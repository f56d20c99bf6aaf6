package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// postRaw sends form to page with c and returns the status and the page.
func postRaw(t *testing.T, c *http.Client, page string, form url.Values, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestHostileRequests is what a user who types into URLs and forms, or
// another site, can make of the web client: the language switch leads
// nowhere else; a caseworker posting the lawyer's court forms, another
// organisation typing ids, a form with another session's token or from
// another site change nothing and see "not found" or a refusal; sealed text
// is shown as text, never as markup; a stale edit is said to be stale.
func TestHostileRequests(t *testing.T) {
	env := webtest.Start(t)
	api := env.API
	caseID := api.ReferredCase(t)
	pr := api.NewProceeding(t, caseID, servertest.CriminalProceeding())
	ps := casebridgev1.NewProceedingServiceClient(api.Conn)
	hr, err := ps.AddHearing(api.As(t, "lawyer@legal-b"), &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{
		StartTime: timestamppb.New(time.Now().Add(72 * time.Hour).Truncate(time.Minute)), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
		Status: casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED}})
	if err != nil {
		t.Fatal(err)
	}
	hearing := hr.GetHearing()
	unreferred := api.NewMarkedCase(t)
	notFound := "Not found. It does not exist, or you may not see it."

	t.Run("language switch stays on this site", func(t *testing.T) {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		base, _ := url.Parse(env.URL)
		for _, back := range []string{"//evil.example/", "/\\evil.example", "\\\\evil.example", "https://evil.example/",
			"/%2F/evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example", "/.//evil.example", "///evil.example",
			"/..//evil.example", "javascript:alert(1)", "/cases?x=1#//evil.example", "%2F%2Fevil.example", "/%5Cevil.example"} {
			resp, err := c.Get(env.URL + "/lang?to=sq&back=" + url.QueryEscape(back))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			to, err := base.Parse(loc)
			if err != nil || to.Host != base.Host || strings.HasPrefix(loc, "//") || strings.Contains(loc, "\\") {
				t.Errorf("back=%q: Location %q leads to %v", back, loc, to)
			}
		}
	})

	t.Run("caseworker posts the lawyer's court forms", func(t *testing.T) {
		cw := env.Client(t, "caseworker@shelter-a")
		_, page := get(t, cw, env.URL+"/cases/"+caseID)
		if strings.Contains(page, "/court") || strings.Contains(page, "/claims") {
			t.Errorf("the caseworker's case page offers the court pages")
		}
		csrf := webtest.FormToken(t, cw, env.URL+"/cases/"+caseID)
		court := env.URL + "/cases/" + caseID
		for path, form := range map[string]url.Values{
			"/court":                             {},
			"/court/hearings/" + hearing.GetId(): {"status": {"HEARING_STATUS_HELD"}, "was_status": {"HEARING_STATUS_SCHEDULED"}, "date": {"2030-01-01"}, "time": {"10:00"}, "zone": {"Europe/Belgrade"}, "etag": {hearing.GetEtag()}},
			"/court/hearings/" + hearing.GetId() + "/cancel": {"reason": {"x"}, "etag": {hearing.GetEtag()}},
			"/court/proceedings":                             {"court_time_zone": {"Europe/Belgrade"}, "kind": {"PROCEEDING_KIND_CIVIL"}},
			"/claims":                                        {"amount": {"100"}, "currency": {"EUR"}, "type": {"CLAIM_TYPE_CIVIL_ACTION"}},
		} {
			form.Set("csrf", csrf)
			code, body := postRaw(t, cw, court+path, form)
			if path == "/court" {
				code, body = func() (int, string) {
					resp, err := cw.Get(court + path)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					return resp.StatusCode, string(b)
				}()
			}
			if code != http.StatusNotFound || !strings.Contains(body, notFound) {
				t.Errorf("caseworker %s: %d, want 404 not found", path, code)
			}
		}
		l, err := ps.ListHearings(api.As(t, "lawyer@legal-b"), &casebridgev1.ListHearingsRequest{ProceedingId: pr.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.GetHearings()) != 1 || l.GetHearings()[0].GetEtag() != hearing.GetEtag() {
			t.Errorf("the caseworker's posts changed the hearings: %v", l.GetHearings())
		}
	})

	t.Run("lawyer types a case it does not represent", func(t *testing.T) {
		lw := env.Client(t, "lawyer@legal-b")
		csrf := webtest.FormToken(t, lw, env.URL+"/cases/"+caseID+"/court")
		for _, p := range []string{"/cases/" + unreferred, "/cases/" + unreferred + "/court"} {
			resp, err := lw.Get(env.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), notFound) || strings.Contains(string(body), "Marker-") {
				t.Errorf("GET %s: %s, want not found", p, resp.Status)
			}
		}
		for path, form := range map[string]url.Values{
			"/court/proceedings": {"court_time_zone": {"Europe/Belgrade"}, "kind": {"PROCEEDING_KIND_CIVIL"}, "court": {"C"}, "docket_number": {"D"},
				"jurisdiction_country": {"RS"}, "victim_role": {"VICTIM_ROLE_WITNESS"}},
			"/claims": {"amount": {"100"}, "currency": {"EUR"}, "type": {"CLAIM_TYPE_CIVIL_ACTION"}},
			"/notes":  {"text": {"x"}, "data_class": {"DATA_CLASS_LEGAL"}},
		} {
			form.Set("csrf", csrf)
			code, body := postRaw(t, lw, env.URL+"/cases/"+unreferred+path, form)
			if code != http.StatusNotFound || !strings.Contains(body, notFound) {
				t.Errorf("lawyer posts %s on a case it does not represent: %d, want 404 not found", path, code)
			}
		}
		l, err := ps.ListProceedings(api.As(t, "caseworker@shelter-a"), &casebridgev1.ListProceedingsRequest{CaseId: unreferred})
		if err == nil && len(l.GetProceedings()) != 0 {
			t.Errorf("the lawyer made a proceeding on a case it does not represent")
		}
	})

	t.Run("another organisation's caseworker", func(t *testing.T) {
		other := env.Client(t, "caseworker@cso-c")
		csrf := webtest.FormToken(t, other, env.URL+"/cases/new")
		resp, err := other.Get(env.URL + "/cases/" + caseID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), notFound) {
			t.Errorf("GET another organisation's case: %s", resp.Status)
		}
		for path, form := range map[string]url.Values{
			"/notes":          {"text": {"planted"}, "data_class": {"DATA_CLASS_CARE"}},
			"/status/suspend": {"reason": {"x"}, "reason_code": {"CASE_CHANGE_REASON_OTHER"}},
			"/assign":         {"caseworker": {"caseworker@cso-c"}},
			"/consents":       {"purpose": {"CONSENT_PURPOSE_ASSISTANCE"}},
			"/erase":          {"reference": {"X"}, "confirm": {"X"}},
			"/referrals":      {"to": {"cso-c"}, "service": {"SERVICE_KIND_MEDICAL"}},
		} {
			form.Set("csrf", csrf)
			code, body := postRaw(t, other, env.URL+"/cases/"+caseID+path, form)
			if code != http.StatusNotFound || !strings.Contains(body, notFound) || strings.Contains(body, "Marker-") {
				t.Errorf("cso-c posts %s on shelter-a's case: %d, want 404 not found", path, code)
			}
		}
		c, err := api.Cases().GetCase(api.As(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
		if err != nil {
			t.Fatal(err)
		}
		if c.GetCase().GetStatus() == casebridgev1.CaseStatus_CASE_STATUS_SUSPENDED {
			t.Errorf("another organisation suspended the case")
		}
	})

	t.Run("forms with a foreign token or from another site", func(t *testing.T) {
		a := env.Client(t, "caseworker@shelter-a")
		b := env.Client(t, "caseworker@shelter-a")
		tokB := webtest.FormToken(t, b, env.URL+"/cases/"+caseID)
		tokA := webtest.FormToken(t, a, env.URL+"/cases/"+caseID)
		note := url.Values{"text": {"forged-note-77"}, "data_class": {"DATA_CLASS_CARE"}}
		cases := []struct {
			what   string
			tok    string
			header []string
		}{
			{"another session's token", tokB, nil},
			{"no token", "", nil},
			{"a cross-site Origin", tokA, []string{"Origin", "https://evil.example"}},
			{"Sec-Fetch-Site cross-site", tokA, []string{"Sec-Fetch-Site", "cross-site"}},
			{"a null Origin", tokA, []string{"Origin", "null"}},
		}
		for _, tc := range cases {
			f := url.Values{"csrf": {tc.tok}}
			for k, v := range note {
				f[k] = v
			}
			if code, _ := postRaw(t, a, env.URL+"/cases/"+caseID+"/notes", f, tc.header...); code != http.StatusForbidden {
				t.Errorf("a note with %s: %d, want 403", tc.what, code)
			}
		}
		_, page := get(t, a, env.URL+"/cases/"+caseID)
		if strings.Contains(page, "forged-note-77") {
			t.Errorf("a forged note was added")
		}
	})

	t.Run("sealed text is shown as text", func(t *testing.T) {
		cw := env.Client(t, "caseworker@shelter-a")
		csrf := webtest.FormToken(t, cw, env.URL+"/cases/"+caseID)
		evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'` + "</textarea>"
		code, _ := postRaw(t, cw, env.URL+"/cases/"+caseID+"/notes", url.Values{"csrf": {csrf}, "text": {evil}, "data_class": {"DATA_CLASS_CARE"}})
		if code != http.StatusOK {
			t.Fatalf("add the note: %d", code)
		}
		_, page := get(t, cw, env.URL+"/cases/"+caseID)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Errorf("the note is rendered as markup")
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the note is not on the page, escaped")
		}
	})

	t.Run("a stale edit says so", func(t *testing.T) {
		cw := env.Client(t, "supervisor@shelter-a")
		csrf := webtest.FormToken(t, cw, env.URL+"/cases/"+caseID)
		code, page := postRaw(t, cw, env.URL+"/cases/"+caseID+"/assign", url.Values{"csrf": {csrf}, "caseworker": {"caseworker@shelter-a"}, "etag": {"W/\"stale\""}})
		if code != http.StatusConflict || !strings.Contains(page, "Someone changed this in the meantime") {
			t.Errorf("a stale assignment: %d", code)
		}
	})
}
