package web_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/web"
	"github.com/casebridge/casebridge/internal/web/i18n"
	"github.com/casebridge/casebridge/internal/web/webtest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// page fetches path with c and returns status and body.
func page(t *testing.T, c *http.Client, base, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form of page with its CSRF token and returns the page it
// ends on.
func post(t *testing.T, c *http.Client, base, from, action string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", webtest.FormToken(t, c, base+from))
	resp, err := c.PostForm(base+action, form)
	if err != nil {
		t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("%s lacks %q", what, w)
		}
	}
}

// TestLawyerDay: a lawyer of the receiving organisation opens a proceeding
// on a referred case, schedules a hearing that the calendar and the .ics
// show at the court's time, and keeps the claim's ledger — claimed,
// awarded, paid, outstanding — through the pages; a retried form creates
// once, and another organisation's caseworker finds nothing.
func TestLawyerDay(t *testing.T) {
	env := webtest.Start(t, func(c *web.Config) { c.TimeZone = "UTC" })
	caseID := env.API.ReferredCase(t)
	lawyer := env.Client(t, "lawyer@legal-b")
	court := "/cases/" + caseID + "/court"

	st, body := page(t, lawyer, env.URL, court)
	if st != http.StatusOK {
		t.Fatalf("court page: %d", st)
	}
	mustContain(t, "empty court page", body, `id="new-proceeding"`)

	reqID := uuid.NewString()
	create := url.Values{"kind": {"PROCEEDING_KIND_CRIMINAL"}, "court": {"Higher Court in Belgrade"}, "docket_number": {"K 77/2026"},
		"jurisdiction_country": {"RS"}, "court_time_zone": {"Europe/Belgrade"}, "victim_role": {"VICTIM_ROLE_INJURED_PARTY"}, "request_id": {reqID}}
	for i := 0; i < 2; i++ { // the second is a retry of the same form
		st, body = post(t, lawyer, env.URL, court, court+"/proceedings", create)
		if st != http.StatusOK || !strings.Contains(body, "The proceeding was created.") {
			t.Fatalf("create proceeding (try %d): %d", i+1, st)
		}
	}
	ps := casebridgev1.NewProceedingServiceClient(env.API.Conn)
	list, err := ps.ListProceedings(env.API.As(t, "lawyer@legal-b"), &casebridgev1.ListProceedingsRequest{CaseId: caseID})
	if err != nil || len(list.GetProceedings()) != 1 {
		t.Fatalf("proceedings after a retried form: %v, %v", list.GetProceedings(), err)
	}
	pid := list.GetProceedings()[0].GetId()

	// A bad zone is refused beside its field, before any call.
	bad := url.Values{"kind": {"PROCEEDING_KIND_CIVIL"}, "court_time_zone": {"Mars/Olympus"}, "request_id": {uuid.NewString()}}
	if st, body = post(t, lawyer, env.URL, court, court+"/proceedings", bad); st != http.StatusUnprocessableEntity {
		t.Fatalf("bad zone: %d", st)
	}
	mustContain(t, "refused zone", body, `id="err-court_time_zone"`, `aria-invalid="true"`)

	// A hearing at 09:30 in Belgrade: the pages show 09:30 CET although
	// the web client runs in UTC; the calendar file says 08:30Z.
	day := time.Now().AddDate(0, 0, 3)
	if day.Month() != time.Now().Month() {
		day = time.Now().AddDate(0, 0, 1)
	}
	date := day.Format(time.DateOnly)
	st, body = post(t, lawyer, env.URL, court, court+"/hearings", url.Values{"proceeding": {pid}, "date": {date}, "time": {"09:30"},
		"type": {"HEARING_TYPE_MAIN"}, "request_id": {uuid.NewString()}})
	if st != http.StatusOK {
		t.Fatalf("add hearing: %d", st)
	}
	zone, _ := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, mustZone(t, "Europe/Belgrade")).Zone()
	mustContain(t, "court page after the hearing", body, "The hearing was added.", "09:30 "+zone, "Main")

	for _, view := range []string{"week", "month"} {
		st, cal := page(t, lawyer, env.URL, "/calendar?view="+view+"&date="+date)
		if st != http.StatusOK {
			t.Fatalf("%s calendar: %d", view, st)
		}
		cell := regexp.MustCompile(`(?s)data-date="` + date + `">(.*?)</td>`).FindStringSubmatch(cal)
		if cell == nil || !strings.Contains(cell[1], "09:30 "+zone) || !strings.Contains(cell[1], "Higher Court in Belgrade") {
			t.Fatalf("%s calendar: the hearing is not on %s: %v", view, date, cell)
		}
	}
	resp, err := lawyer.Get(env.URL + "/calendar.ics")
	if err != nil {
		t.Fatal(err)
	}
	ics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	utc := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, mustZone(t, "Europe/Belgrade")).UTC().Format("20060102T150405Z")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf(".ics content type %q", ct)
	}
	mustContain(t, ".ics", string(ics), "BEGIN:VEVENT", "DTSTART:"+utc, "Higher Court in Belgrade")
	cs, err := env.API.Cases().GetCase(env.API.As(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
	if err != nil {
		t.Fatal(err)
	}
	if ref := cs.GetCase().GetReference(); strings.Contains(string(ics), ref) || strings.Contains(string(ics), "Marker") {
		t.Fatalf(".ics names the case or the person:\n%s", ics)
	}

	// The claim: 5,000 claimed, filed, 3,000 awarded, 1,200.50 paid.
	if st, body = post(t, lawyer, env.URL, court, "/cases/"+caseID+"/claims", url.Values{"type": {"CLAIM_TYPE_CRIMINAL_PROCEEDINGS"}, "amount": {"5000.00"},
		"currency": {"EUR"}, "proceeding": {pid}, "request_id": {uuid.NewString()}}); st != http.StatusOK {
		t.Fatalf("create claim: %d\n%s", st, body)
	}
	comp := casebridgev1.NewCompensationServiceClient(env.API.Conn)
	claim := func() *casebridgev1.Claim {
		l, err := comp.ListClaims(env.API.As(t, "lawyer@legal-b"), &casebridgev1.ListClaimsRequest{CaseId: caseID})
		if err != nil || len(l.GetClaims()) != 1 {
			t.Fatalf("claims: %v %v", l.GetClaims(), err)
		}
		return l.GetClaims()[0]
	}
	c := claim()
	base := "/cases/" + caseID + "/claims/" + c.GetId()
	if st, _ = post(t, lawyer, env.URL, court, base+"/file", url.Values{"etag": {c.GetEtag()}, "date": {time.Now().Format(time.DateOnly)}}); st != http.StatusOK {
		t.Fatalf("file claim: %d", st)
	}
	c = claim()
	if st, _ = post(t, lawyer, env.URL, court, base+"/award", url.Values{"etag": {c.GetEtag()}, "amount": {"3000"}, "currency": {"EUR"},
		"date": {time.Now().Format(time.DateOnly)}}); st != http.StatusOK {
		t.Fatalf("record award: %d", st)
	}
	// A comma is refused beside the field, not guessed at.
	c = claim()
	if st, body = post(t, lawyer, env.URL, court, base+"/payments", url.Values{"etag": {c.GetEtag()}, "amount": {"1.200,50"}, "currency": {"EUR"},
		"date": {time.Now().Format(time.DateOnly)}, "request_id": {uuid.NewString()}}); st != http.StatusUnprocessableEntity {
		t.Fatalf("payment with a comma: %d", st)
	}
	mustContain(t, "refused payment", body, `id="err-payment_amount-`+c.GetId()+`"`, `aria-describedby="err-payment_amount-`+c.GetId()+`"`)
	st, body = post(t, lawyer, env.URL, court, base+"/payments", url.Values{"etag": {c.GetEtag()}, "amount": {"1200.50"}, "currency": {"EUR"},
		"payer_kind": {"CLAIM_PARTY_KIND_DEFENDANT"}, "date": {time.Now().Format(time.DateOnly)}, "request_id": {uuid.NewString()}})
	if st != http.StatusOK {
		t.Fatalf("record payment: %d", st)
	}
	ledger := regexp.MustCompile(`(?s)<table class="list" id="ledger">(.*?)</table>`).FindStringSubmatch(body)
	if ledger == nil {
		t.Fatal("no ledger")
	}
	mustContain(t, "ledger", ledger[1], "EUR", "5,000.00", "3,000.00", "1,200.50", "1,799.50")

	// The same ledger in Serbian writes money the Serbian way.
	sr := env.Client(t, "lawyer@legal-b")
	if _, err := sr.Get(env.URL + "/lang?to=sr-Latn&back=/"); err != nil {
		t.Fatal(err)
	}
	_, body = page(t, sr, env.URL, court)
	mustContain(t, "Serbian ledger", body, "1.799,50", "Preostalo")

	// Another organisation's caseworker: the case does not exist for them.
	if st, body = page(t, env.Client(t, "caseworker@cso-c"), env.URL, court); st != http.StatusNotFound {
		t.Fatalf("another organisation's caseworker: %d", st)
	}
	mustContain(t, "another organisation's view", body, "Not found")
}

// seedCases opens enough cases at two organisations for a table to
// publish: many women, some men, two of another sex (withheld).
func seedCases(t *testing.T, env *webtest.Env) {
	t.Helper()
	for _, org := range []string{"caseworker@shelter-a", "caseworker@cso-c"} {
		ctx := env.API.As(t, org)
		for i := 0; i < 16; i++ {
			sex := casebridgev1.Sex_SEX_FEMALE
			switch {
			case i == 0:
				sex = casebridgev1.Sex_SEX_OTHER
			case i < 5:
				sex = casebridgev1.Sex_SEX_MALE
			}
			if _, err := env.API.Cases().CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
				Coded: &casebridgev1.CodedAttributes{Sex: sex, Nationality: "UA", Country: "RS", IdentificationYear: 2025}}}); err != nil {
				t.Fatalf("seed case: %v", err)
			}
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestCoordinatorAndAuditor: the coordinator's table marks withheld cells
// as withheld (never a number) in the page, the chart and the CSV; the
// auditor finds a lawyer's read of a case and verifies the chain; each
// other role gets the "not permitted" page from the server's refusal.
func TestCoordinatorAndAuditor(t *testing.T) {
	env := webtest.Start(t)
	seedCases(t, env)
	caseID := env.API.ReferredCase(t)
	// The lawyer reads the case's court data: an audited read.
	if st, _ := page(t, env.Client(t, "lawyer@legal-b"), env.URL, "/cases/"+caseID+"/court"); st != http.StatusOK {
		t.Fatalf("lawyer's court page: %d", st)
	}

	coord := env.Client(t, "coordinator@network")
	st, body := page(t, coord, env.URL, "/stats?by=DIMENSION_SEX&by=DIMENSION_NATIONALITY")
	if st != http.StatusOK {
		t.Fatalf("stats: %d", st)
	}
	cells := regexp.MustCompile(`<td class="withheld" data-withheld="(stats\.[a-z_]+)">([^<]*)</td>`).FindAllStringSubmatch(body, -1)
	if len(cells) == 0 {
		t.Fatalf("a handful of demo cases, yet no cell is withheld:\n%s", body)
	}
	for _, c := range cells {
		if regexp.MustCompile(`^\D*\d+\D*$`).MatchString(c[2]) && c[1] != "stats.withheld_small" {
			t.Fatalf("withheld cell shows a number: %q", c[2])
		}
	}
	mustContain(t, "stats page", body, `<svg`, `class="bar withheld"`, "Withheld: fewer than 5")

	resp, err := coord.Get(env.URL + "/stats.csv?by=DIMENSION_SEX")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(rows) < 2 || rows[0][0] != "Sex" || rows[0][1] != "Cases" {
		t.Fatalf("CSV: %v %v", rows, err)
	}
	for _, r := range rows[1:] {
		if r[1] == "" && !strings.HasPrefix(r[2], "Withheld") || r[1] != "" && r[2] != "" {
			t.Fatalf("CSV row %v: a count is either given or withheld with its reason", r)
		}
	}
	if st, _ = page(t, coord, env.URL, "/stats/indicators"); st != http.StatusOK {
		t.Fatalf("indicators: %d", st)
	}

	auditor := env.Client(t, "auditor@network")
	st, body = post(t, auditor, env.URL, "/audit", "/audit/events", url.Values{"case": {caseID}, "subject": {"lawyer@legal-b"}})
	if st != http.StatusOK {
		t.Fatalf("audit events: %d", st)
	}
	mustContain(t, "audit events", body, `id="events"`, "lawyer@legal-b", caseID)
	st, body = post(t, auditor, env.URL, "/audit", "/audit/verify", url.Values{})
	if st != http.StatusOK {
		t.Fatalf("verify: %d", st)
	}
	mustContain(t, "verification", body, `id="verify-result"`, "The log is intact")

	// The server refuses other roles; the page says so plainly.
	for _, c := range []struct{ user, path string }{
		{"caseworker@shelter-a", "/stats"}, {"auditor@network", "/stats"}, {"lawyer@legal-b", "/audit"}, {"coordinator@network", "/audit"},
	} {
		st, body := page(t, env.Client(t, c.user), env.URL, c.path)
		if st != http.StatusForbidden || !strings.Contains(body, `id="forbidden"`) {
			t.Errorf("%s on %s: %d, want the not-permitted page", c.user, c.path, st)
		}
	}
}

// TestCourtPagesInEveryLanguage: the court, calendar, statistics and audit
// pages render in each language with no untranslated message.
func TestCourtPagesInEveryLanguage(t *testing.T) {
	env := webtest.Start(t)
	caseID := env.API.ReferredCase(t)
	pr := env.API.NewProceeding(t, caseID, servertest.CriminalProceeding())
	tomorrow := time.Now().AddDate(0, 0, 1)
	if _, err := casebridgev1.NewProceedingServiceClient(env.API.Conn).AddHearing(env.API.As(t, "lawyer@legal-b"), &casebridgev1.AddHearingRequest{
		ProceedingId: pr.GetId(), Hearing: &casebridgev1.Hearing{StartTime: timestamppb.New(tomorrow), Type: casebridgev1.HearingType_HEARING_TYPE_MAIN,
			Status: casebridgev1.HearingStatus_HEARING_STATUS_SCHEDULED}}); err != nil {
		t.Fatal(err)
	}
	week := "/calendar?view=week&date=" + tomorrow.Format(time.DateOnly)
	for _, lang := range i18n.Languages {
		for user, paths := range map[string][]string{
			"lawyer@legal-b":       {"/court", "/cases/" + caseID + "/court", week, "/calendar?view=month&date=" + tomorrow.Format(time.DateOnly)},
			"coordinator@network":  {"/stats?by=DIMENSION_SEX&by=DIMENSION_AGE_BAND", "/stats/indicators"},
			"auditor@network":      {"/audit"},
			"caseworker@shelter-a": {"/stats"},
		} {
			c := env.Client(t, user)
			if _, err := c.Get(env.URL + "/lang?to=" + lang.String() + "&back=/"); err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				_, body := page(t, c, env.URL, p)
				if user == "auditor@network" {
					_, body = post(t, c, env.URL, p, "/audit/verify", url.Values{})
				}
				if !strings.Contains(body, `<html lang="`+lang.String()+`"`) {
					t.Errorf("%s in %s: lang not set", p, lang)
				}
				if i := strings.Index(body, "data-untranslated"); i >= 0 {
					t.Errorf("%s in %s: an indicator without a label: %q", p, lang, body[i:min(len(body), i+80)])
				}
				if i := strings.Index(body, "⟦"); i >= 0 {
					t.Errorf("%s in %s: untranslated %q", p, lang, body[i:min(len(body), i+60)])
				}
			}
		}
	}
}
