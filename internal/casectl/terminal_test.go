package casectl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
)

// These tests run casectl in-process against a real server, with a stdin
// that claims to be a terminal: the interactive paths (intake questions,
// erase confirmation, progress bar, token on stdin) that the end-to-end
// test, whose casectl has no terminal, cannot reach.

type session struct {
	t      *testing.T
	server *servertest.Env
	config string
}

func newSession(t *testing.T) *session {
	t.Helper()
	return &session{t: t, server: servertest.Start(t), config: filepath.Join(t.TempDir(), "config.json")}
}

type outcome struct {
	stdout, stderr string
	code           int
}

// run runs casectl with stdin; terminal says whether stdin and stderr
// count as a terminal.
func (s *session) run(stdin string, terminal bool, args ...string) outcome {
	s.t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "CASECTL_CONFIG" {
				return s.config
			}
			return ""
		},
		StdinTerminal: terminal, StderrTerminal: terminal,
		Now: time.Now,
	}
	code := Run(context.Background(), env, args)
	return outcome{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func (s *session) login(subject string) {
	s.t.Helper()
	o := s.run(s.server.Token(s.t, subject)+"\n", false, "login", "--server", s.server.Addr, "--insecure", "--token", "-")
	if o.code != 0 || !strings.Contains(o.stdout, subject) {
		s.t.Fatalf("login as %s: %+v", subject, o)
	}
}

func TestLoginSavesTheTokenOwnerOnly(t *testing.T) {
	s := newSession(t)
	s.login("caseworker@shelter-a")
	info, err := os.Stat(s.config)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("settings: %v, mode %v", err, info.Mode().Perm())
	}
	data, _ := os.ReadFile(s.config)
	if !strings.Contains(string(data), `"insecure": true`) || !strings.Contains(string(data), s.server.Addr) {
		t.Errorf("settings file:\n%s", data)
	}
	if o := s.run("", false, "whoami"); o.code != 0 || !strings.Contains(o.stdout, "caseworker@shelter-a") {
		t.Errorf("whoami: %+v", o)
	}
	// A token the server rejects is not saved.
	if o := s.run("garbage\n", false, "login", "--server", s.server.Addr, "--insecure", "--token", "-"); o.code != 1 || !strings.Contains(o.stderr, "not signed in") {
		t.Errorf("login with a bad token: %+v", o)
	}
	if o := s.run("", false, "whoami"); o.code != 0 {
		t.Errorf("a failed login must keep the saved token: %+v", o)
	}
	if o := s.run("", false, "logout"); o.code != 0 {
		t.Fatalf("logout: %+v", o)
	}
	if o := s.run("", false, "whoami"); o.code != 1 || !strings.Contains(o.stderr, "not logged in") {
		t.Errorf("after logout: %+v", o)
	}
}

func TestIntakeQuestionsOnATerminal(t *testing.T) {
	s := newSession(t)
	s.login("caseworker@shelter-a")
	answers := strings.Join([]string{
		"woman",  // sex: not a choice, asked again
		"female", // sex
		"18-20",  // age band
		"",       // child: skipped
		"XX",     // nationality: not a country, asked again
		"ua",     // nationality
		"RS",     // country
		"",       // year
		"sexual,forced-labour",
		"presumed",
		"Marker-Prompt-4411", // given names
		"", "", "", "",       // family names, date of birth, phone, safe contact
	}, "\n") + "\n"
	o := s.run(answers, true, "cases", "new")
	if o.code != 0 {
		t.Fatalf("cases new: %+v", o)
	}
	for _, want := range []string{"Nationality:     UA", "Sex:             female", "Forms:           sexual,forced-labour", "Given names:     Marker-Prompt-4411"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("created case lacks %q:\n%s", want, o.stdout)
		}
	}
	for _, want := range []string{"Sex (female, male, other): ", `unknown value "woman"`, `"XX" is not a country code`} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("questions lack %q:\n%s", want, o.stderr)
		}
	}
	// With flags, nothing is asked.
	if o := s.run("", true, "cases", "new", "--nationality", "MD"); o.code != 0 || strings.Contains(o.stderr, "Sex (") {
		t.Errorf("cases new with flags asked questions: %+v", o)
	}
}

func TestEraseAsksForTheReference(t *testing.T) {
	s := newSession(t)
	s.login("supervisor@shelter-a")
	o := s.run("", false, "cases", "new", "--given-names", "Marker-Erase-5150", "--no-input", "-o", "json")
	if o.code != 0 {
		t.Fatalf("cases new: %+v", o)
	}
	ref := between(o.stdout, `"reference": "`, `"`)
	if o := s.run("yes\n", true, "cases", "erase", ref, "--reason", "the person asked"); o.code != 0 || !strings.Contains(o.stderr, "Not erased.") {
		t.Fatalf("erase with a wrong answer: %+v", o)
	}
	if o := s.run("", false, "cases", "show", ref); !strings.Contains(o.stdout, "Marker-Erase-5150") {
		t.Fatalf("the case lost its data without confirmation: %+v", o)
	}
	o = s.run(ref+"\n", true, "cases", "erase", ref, "--reason", "the person asked")
	if o.code != 0 || !strings.Contains(o.stdout, "Erased:") || !strings.Contains(o.stderr, "Type the reference to confirm") {
		t.Fatalf("erase confirmed: %+v", o)
	}
	if o := s.run("", false, "cases", "show", ref); strings.Contains(o.stdout, "Marker-Erase-5150") {
		t.Errorf("the data is still readable after erasure: %+v", o)
	}
}

func TestImportProgressOnlyOnATerminal(t *testing.T) {
	s := newSession(t)
	s.login("caseworker@shelter-a")
	path := filepath.Join(t.TempDir(), "small.csv")
	csv := "yearOfRegistration,Datasource,gender,citizenship,isForcedLabour,ControlCategory,RecruiterCategory,ExploitType,Labor_Type,ageCategories\n" +
		"2023,Hotline,Female,UA,0,,,Sexual Exploitation,,Age 21-23\n" +
		"2023,Hotline,Robot,UA,0,,,Sexual Exploitation,,Age 21-23\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	o := s.run("", true, "import", "cases", path)
	if o.code != 1 || !strings.Contains(o.stderr, "\rimporting [") || !strings.Contains(o.stdout, "line 3:") {
		t.Fatalf("import on a terminal: %+v", o)
	}
	o = s.run("", false, "import", "cases", path, "--source", "another-name")
	if o.code != 1 || strings.Contains(o.stderr, "importing [") {
		t.Fatalf("import without a terminal: %+v", o)
	}
}

func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}
