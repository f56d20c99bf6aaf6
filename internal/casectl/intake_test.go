package casectl

import (
	"strings"
	"testing"
)

// TestIntakeKeepsAnswersAfterRepeatedMistakes: five bad answers to one
// question skip that question; the answers before and after it are kept.
func TestIntakeKeepsAnswersAfterRepeatedMistakes(t *testing.T) {
	s := newSession(t)
	s.login("caseworker@shelter-a")
	answers := strings.Join([]string{
		"female", "18-20", "", // sex, age band, child
		"XX", "YY", "ZZ", "QQ", "WW", // nationality: five bad answers, skipped
		"RS", "", "sexual", "presumed", "Marker-Keep-2222", "", "", "", "",
	}, "\n") + "\n"
	o := s.run(answers, true, "cases", "new")
	if o.code != 0 {
		t.Fatalf("cases new: %+v", o)
	}
	for _, want := range []string{"Sex:             female", "Country:         RS", "Given names:     Marker-Keep-2222"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("created case lacks %q:\n%s", want, o.stdout)
		}
	}
	if !strings.Contains(o.stderr, "Skipped nationality") {
		t.Errorf("no word about the skipped question:\n%s", o.stderr)
	}
}

// TestCasesNewWithoutTerminalNeedsFlags: with standard input not a
// terminal and no attribute flag, no empty case is opened silently.
func TestCasesNewWithoutTerminalNeedsFlags(t *testing.T) {
	s := newSession(t)
	s.login("caseworker@shelter-a")
	o := s.run("", false, "cases", "new")
	if o.code != 2 || !strings.Contains(o.stderr, "standard input is not a terminal") || strings.Contains(o.stderr, "Opened") {
		t.Fatalf("cases new without a terminal: %+v", o)
	}
	if o := s.run("", false, "cases", "new", "--no-input"); o.code != 0 || !strings.Contains(o.stderr, "Opened case") {
		t.Fatalf("cases new --no-input: %+v", o)
	}
}

// TestLoginDevWithAMistypedDemoUser says there is no such demo user.
func TestLoginDevWithAMistypedDemoUser(t *testing.T) {
	s := newSession(t)
	o := s.run("", false, "login", "--dev", "--as", "casewroker@shelter-a", "--data-dir", s.server.DataDir, "--server", s.server.Addr)
	if o.code != 1 || !strings.Contains(o.stderr, `no such demo user "casewroker@shelter-a"`) {
		t.Fatalf("login --dev with a typo: %+v", o)
	}
}
