package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestStory runs the whole story through the casectl binary against a real
// dev-mode casebridged: a shelter opens a case and refers the person to a
// lawyer, who litigates and claims compensation; a coordinator counts; an
// auditor checks who did what.
func TestStory(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := w.start(freeAddr(t))
	cw := w.user("caseworker@shelter-a", srv)
	lw := w.user("lawyer@legal-b", srv)

	// Login: the token is kept in an owner-only file.
	res := cw.login()
	contains(t, res, "caseworker@shelter-a", "shelter-a", "caseworker")
	if info, err := os.Stat(cw.config); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}

	// Intake, from flags (no terminal here, so no prompts).
	var c casebridgev1.Case
	decode(t, cw.ok("cases", "new", "--sex", "female", "--age-band", "18-20", "--nationality", "UA", "--country", "RS",
		"--year", fmt.Sprint(time.Now().Year()), "--forms", "sexual", "--identification", "presumed",
		"--given-names", "Marker-Given-7731", "--phone", "+381 60 7731", "-o", "json"), &c)
	ref := c.GetReference()
	if !regexp.MustCompile(`^SHA-\d{4}-\d{4}$`).MatchString(ref) || c.GetStatus() != casebridgev1.CaseStatus_CASE_STATUS_OPEN {
		t.Fatalf("created case: %v", &c)
	}
	contains(t, cw.ok("cases", "show", ref), "Reference:", ref, "Marker-Given-7731", "+381 60 7731", "Status:", "open")
	contains(t, cw.ok("cases", "list"), ref, "female", "18-20")
	contains(t, cw.ok("cases", "show", strings.ToLower(ref), "--output", "csv"), "reference,", ref)

	note := cw.runWith("First psychosocial session held.", nil, "notes", "add", ref, "--class", "care")
	if note.code != 0 {
		t.Fatalf("notes add: %s", note)
	}
	contains(t, cw.ok("notes", "list", ref), "First psychosocial session held.", "care")

	// Consent, then the referral it allows.
	contains(t, cw.ok("consent", "add", ref, "--purpose", "legal-representation", "--to", "legal-b", "--method", "signed form"),
		"legal-representation", "granted", "legal-b", "active")
	var ref1 casebridgev1.Referral
	decode(t, cw.ok("refer", ref, "--to", "legal-b", "--service", "legal", "--classes", "identity,legal",
		"--message", "needs representation", "-o", "json"), &ref1)
	if ref1.GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING || len(ref1.GetGrantedClasses()) != 2 {
		t.Fatalf("referral: %v", &ref1)
	}

	// The lawyer cannot see the case before accepting; then sees what is shared.
	lw.login()
	lw.fails(1, "not found (or you may not see it)", "cases", "show", ref)
	contains(t, lw.ok("referrals", "list", "--incoming", "--status", "pending"), ref, "pending", "shelter-a")
	contains(t, lw.ok("referrals", "accept", ref), "Status:", "accepted")
	shown := lw.ok("cases", "show", ref)
	contains(t, shown, "Marker-Given-7731", "Not shown:")
	if strings.Contains(shown.stdout, "+381 60 7731") {
		t.Errorf("the lawyer sees the contact class, which the referral does not share:\n%s", shown)
	}

	// Litigation.
	var p casebridgev1.Proceeding
	decode(t, lw.ok("proceedings", "new", ref, "--kind", "criminal", "--stage", "indictment", "--court", "Higher Court in Belgrade",
		"--docket", "K 123/2026", "--country", "RS", "--tz", "Europe/Belgrade", "--role", "injured-party",
		"--charge", "CC RS Art. 388(1)", "--defendants", "2", "-o", "json"), &p)
	if p.GetKind() != casebridgev1.ProceedingKind_PROCEEDING_KIND_CRIMINAL || p.GetStage() != casebridgev1.ProceedingStage_PROCEEDING_STAGE_INDICTMENT ||
		p.GetResponsibleLawyer() != "lawyer@legal-b" || p.GetCaseId() != c.GetId() {
		t.Fatalf("proceeding: %v", &p)
	}
	belgrade, err := time.LoadLocation("Europe/Belgrade")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(belgrade).AddDate(0, 0, 10)
	at := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, belgrade)
	var h casebridgev1.Hearing
	decode(t, lw.ok("hearings", "add", ref, "--at", at.Format("2006-01-02 15:04"), "--type", "main", "-o", "json"), &h)
	if !h.GetStartTime().AsTime().Equal(at) || h.GetProceedingId() != p.GetId() {
		t.Fatalf("hearing at %v, want %v (09:30 in Belgrade): %v", h.GetStartTime().AsTime(), at, &h)
	}
	contains(t, lw.ok("hearings", "list", ref), at.Format("2006-01-02")+" 09:30", "main", "scheduled")

	ics := filepath.Join(t.TempDir(), "calendar.ics")
	contains(t, lw.ok("upcoming", "--days", "30", "--ics", ics), "K 123/2026", "hearing (main)", at.Format("2006-01-02")+" 09:30")
	checkCalendar(t, ics, h.GetId(), at, ref)

	// Compensation: claimed, filed, awarded, partly paid.
	var claim casebridgev1.Claim
	decode(t, lw.ok("claims", "new", ref, "--type", "criminal-proceedings", "--against", "defendant",
		"--amount", "5000 EUR", "--proceeding", p.GetId(), "-o", "json"), &claim)
	if claim.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_DRAFT || claim.GetAmountClaimed().GetAmountMinor() != 500000 {
		t.Fatalf("claim: %v", &claim)
	}
	lw.fails(1, "not possible now", "claims", "award", ref, "--amount", "3000 EUR", "--date", "today")
	contains(t, lw.ok("claims", "file", ref), "filed")
	decode(t, lw.ok("claims", "award", ref, "--amount", "3000.00 EUR", "--date", "today", "-o", "json"), &claim)
	if claim.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_AWARDED || claim.GetAmountAwarded().GetAmountMinor() != 300000 {
		t.Fatalf("awarded claim: %v", &claim)
	}
	contains(t, lw.ok("payments", "add", claim.GetId(), "--amount", "1234.50 EUR", "--date", "today"), "1234.50 EUR")
	decode(t, lw.ok("claims", "show", ref, "-o", "json"), &claim)
	if claim.GetStatus() != casebridgev1.ClaimStatus_CLAIM_STATUS_PARTIALLY_PAID || claim.GetAmountPaid().GetAmountMinor() != 123450 {
		t.Fatalf("paid claim: %v", &claim)
	}
	// Claims and proceedings name their case by its reference, not its id.
	contains(t, lw.ok("claims", "list", ref), ref, "partially-paid", "5000.00 EUR", "3000.00 EUR", "1234.50 EUR", "1765.50 EUR")
	if shown := lw.ok("claims", "show", ref); !strings.Contains(shown.stdout, ref) || strings.Contains(shown.stdout, c.GetId()) {
		t.Errorf("claims show names the case by its id, not its reference %s:\n%s", ref, shown)
	}
	contains(t, lw.ok("payments", "list", ref, "--output", "csv"), "id,paid,amount", "1234.50 EUR")

	// The shelter follows the litigation's status, but does not litigate.
	contains(t, cw.ok("proceedings", "list", ref), ref, "indictment", "K 123/2026")
	cw.fails(1, "your role does not allow this", "hearings", "add", p.GetId(), "--at", at.Format("2006-01-02 15:04"), "--type", "main")

	// A bulk import, with its rejected lines.
	csvPath := writeImport(t)
	// Rejected lines make the exit status 1, after the summary.
	imp := cw.fails(1, "2 of 14 lines were rejected", "import", "cases", csvPath)
	contains(t, imp, "Imported:          12", "Rejected:          2", "line 14:", "line 15:")
	contains(t, cw.fails(1, "2 of 14 lines were rejected", "import", "cases", csvPath), "Already imported:  12")

	// The coordinator counts across organisations: never a small cell.
	co := w.user("coordinator@network", srv)
	co.login()
	stats := co.ok("stats", "cases", "--by", "year,country,sex", "--csv")
	if !strings.HasPrefix(stats.stdout, "year,country,sex,count\n") {
		t.Errorf("stats CSV header:\n%s", stats)
	}
	// 13 cases in all; the one case of this year is a cell below k, shown
	// withheld as fewer than 5 (and so is any cell it could be worked out
	// from, with its own reason).
	contains(t, stats, "(all),(all),(all),13\n", fmt.Sprintf("%d,RS,female,withheld (fewer than 5)", time.Now().Year()))
	co.ok("stats", "indicators")
	// Noisy counts say so, and spend the budget that "stats budget" shows.
	noisy := co.ok("stats", "cases", "--by", "sex", "--noisy", "--csv")
	if !strings.HasPrefix(noisy.stdout, "sex,noisy_count\n") || strings.Contains(noisy.stdout, "withheld") {
		t.Errorf("noisy stats:\n%s", noisy)
	}
	contains(t, co.ok("stats", "budget", "-o", "csv"), "all networks,4,1/2,7/2,7\n", "network network,4,1/2,7/2,7\n", "you,2,1/2,3/2,3\n")
	co.fails(1, "your role does not allow this", "cases", "list")

	// The auditor sees who read the case, and that the log is intact.
	au := w.user("auditor@network", srv)
	au.login()
	audit := au.run("audit", "list", "--case", c.GetId())
	switch {
	case audit.code == 0:
		contains(t, audit, "CaseService/GetCase", "lawyer@legal-b", "caseworker@shelter-a")
		contains(t, au.ok("audit", "verify"), "Intact:", "yes")
		au.fails(2, "give the case id", "audit", "list", "--case", ref)
	default:
		// AuditService not registered yet: a clean refusal.
		if audit.code != 1 || !strings.Contains(audit.stderr, "does not offer this yet") {
			t.Errorf("audit list without AuditService: %s", audit)
		}
	}

	storyErrors(t, w, srv, cw, lw, ref)
}

// storyErrors: bad input names the field, refusals say why in plain words,
// and the exit status tells a refused call (1) from a wrong command (2).
func storyErrors(t *testing.T, w *world, srv *server, cw, lw *user, ref string) {
	cw.fails(1, "case.coded.identification_year (--year): must be 0 (unknown) or a year between 1950", "cases", "new", "--year", "1900")
	cw.fails(1, "case.coded.nationality (--nationality)", "cases", "new", "--nationality", "XX")
	cw.fails(1, "case SHA-2099-9999: not found (or you may not see it)", "cases", "show", "SHA-2099-9999")
	cw.fails(1, "not possible now", "refer", ref, "--to", "cso-c", "--service", "medical")
	other := w.user("caseworker@cso-c", srv)
	other.login()
	other.fails(1, "not found (or you may not see it)", "cases", "show", ref)

	lw.fails(2, "--amount: \"12.345 EUR\": at most 2 decimal places", "claims", "award", ref, "--amount", "12.345 EUR", "--date", "today")
	lw.fails(2, "--amount", "payments", "add", ref, "--amount", "1.234,50 EUR", "--date", "today")
	cw.fails(2, "--sex: unknown value \"fem\"", "cases", "new", "--sex", "fem")
	cw.fails(2, `unknown command "bogus"`, "cases", "bogus")
	cw.fails(2, `unknown command "lsit"; did you mean list?`, "cases", "lsit")
	cw.fails(2, "unknown flag: --bogus", "cases", "list", "--bogus")
	contains(t, cw.ok(), "Available Commands:")
	contains(t, cw.ok("cases"), "Available Commands:")
	contains(t, cw.ok("--version"), "casectl ")
	contains(t, cw.ok("completion", "zsh"), "casectl")
	cw.fails(2, "missing argument", "cases", "show")
	cw.fails(2, "confirm on a terminal, or pass --yes", "cases", "erase", ref, "--reason", "test")

	res := cw.runWith("", []string{"CASEBRIDGE_TOKEN=not-a-token"}, "whoami")
	if res.code != 1 || !strings.Contains(res.stderr, "not signed in") {
		t.Errorf("CASEBRIDGE_TOKEN should override the saved token: %s", res)
	}
	cw.fails(1, "cannot reach the server", "--server", freeAddr(t), "cases", "list", "--timeout", "5s")
	nobody := w.user("nobody@nowhere", srv)
	nobody.fails(1, "not logged in", "cases", "list")

	help := cw.ok("--help")
	contains(t, help, "Examples:", "casectl login --dev --as caseworker@shelter-a")
	for _, path := range [][]string{
		{"login"}, {"cases"}, {"cases", "new"}, {"cases", "erase"}, {"notes", "add"}, {"consent", "add"},
		{"import", "cases"}, {"refer"}, {"referrals", "watch"}, {"referrals", "accept"}, {"proceedings", "new"},
		{"hearings", "add"}, {"upcoming"}, {"claims", "award"}, {"payments", "add"}, {"stats", "cases"},
		{"stats", "indicators"}, {"audit", "list"}, {"audit", "verify"},
	} {
		contains(t, cw.ok(append(path, "--help")...), "Usage:\n  casectl "+strings.Join(path, " "), "Examples:\n  casectl "+path[0])
	}
}

// checkCalendar checks the exported iCalendar file: RFC 5545 framing, the
// hearing in UTC, and nothing that points at the person.
func checkCalendar(t *testing.T, path, hearingID string, at time.Time, ref string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cal := string(data)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:", "BEGIN:VEVENT\r\n", "UID:hearing-" + hearingID + "@casebridge\r\n",
		"DTSTAMP:", "DTSTART:" + at.UTC().Format("20060102T150405Z") + "\r\n",
		"SUMMARY:Hearing (main): Higher Court in Belgrade\\, K 123/2026\r\n", "END:VEVENT\r\n", "END:VCALENDAR\r\n",
	} {
		if !strings.Contains(cal, want) {
			t.Errorf("calendar lacks %q:\n%s", want, cal)
		}
	}
	for _, secret := range []string{ref, "Marker-Given-7731", "+381"} {
		if strings.Contains(cal, secret) {
			t.Errorf("calendar contains %q:\n%s", secret, cal)
		}
	}
	if strings.Contains(strings.ReplaceAll(cal, "\r\n", ""), "\n") {
		t.Error("calendar lines must end in CRLF")
	}
}

// writeImport writes a CTDC-layout file: 12 good lines (2..13), then two
// that are rejected (line 14: unknown source, line 15: unknown country).
func writeImport(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("yearOfRegistration,Datasource,gender,citizenship,isForcedLabour,ControlCategory,RecruiterCategory,ExploitType,Labor_Type,ageCategories\n")
	for range 12 {
		b.WriteString("2024,Case Management,Female,UA,0,,,Sexual Exploitation,,Age 18-20\n")
	}
	b.WriteString("2024,Banana,Male,MD,1,,,Forced Labor,,Age 30-38\n")
	b.WriteString("2024,Case Management,Male,XX,1,,,Forced Labor,,Age 30-38\n")
	path := filepath.Join(t.TempDir(), "intake-2024.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
