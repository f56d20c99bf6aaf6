package casectl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
)

// TestHearingsInThePastAndTheCalendar: a past hearing is not scheduled
// without a word, a time skipped by daylight saving is refused, and the
// calendar says "1 calendar entry" / "2 calendar entries" and gives each
// entry an end: the length the court expects (--duration), else 2 hours.
func TestHearingsInThePastAndTheCalendar(t *testing.T) {
	s := newSession(t)
	caseID := s.server.ReferredCase(t)
	p := s.server.NewProceeding(t, caseID, servertest.CriminalProceeding())
	s.login("lawyer@legal-b")

	past := time.Now().AddDate(0, 0, -3).Format("2006-01-02") + " 09:30"
	if o := s.run("", false, "hearings", "add", p.GetId(), "--at", past, "--type", "main"); o.code != 2 || !strings.Contains(o.stderr, "is in the past") {
		t.Fatalf("a past hearing: %+v", o)
	}
	if o := s.run("", false, "hearings", "add", p.GetId(), "--at", past, "--type", "main", "--status", "held"); o.code != 0 {
		t.Fatalf("recording a held hearing: %+v", o)
	}
	gap := "2030-03-31 02:30" // last Sunday of March: Belgrade skips 02:00–03:00
	if o := s.run("", false, "hearings", "add", p.GetId(), "--at", gap, "--type", "main"); o.code != 2 || !strings.Contains(o.stderr, "does not exist in Europe/Belgrade") {
		t.Fatalf("a hearing in the daylight-saving gap: %+v", o)
	}
	next := time.Now().AddDate(0, 0, 10).Format("2006-01-02") + " 09:30"
	if o := s.run("", false, "hearings", "add", p.GetId(), "--at", next, "--type", "main"); o.code != 0 {
		t.Fatalf("a hearing ahead: %+v", o)
	}
	ics := filepath.Join(t.TempDir(), "hearings.ics")
	o := s.run("", false, "upcoming", "--days", "30", "--ics", ics)
	if o.code != 0 || !strings.Contains(o.stderr, "Wrote 1 calendar entry to") {
		t.Fatalf("upcoming --ics: %+v", o)
	}
	if got := eventLengths(t, ics); len(got) != 1 || got[0] != 2*time.Hour {
		t.Fatalf("a hearing without a length blocks %v, want the default 2h", got)
	}

	later := time.Now().AddDate(0, 0, 11).Format("2006-01-02") + " 13:00"
	if o := s.run("", false, "hearings", "add", p.GetId(), "--at", later, "--type", "main", "--duration", "3m"); o.code != 2 || !strings.Contains(o.stderr, "--duration") {
		t.Fatalf("a 3-minute hearing: %+v", o)
	}
	o = s.run("", false, "hearings", "add", p.GetId(), "--at", later, "--type", "main", "--duration", "90m")
	if o.code != 0 || !strings.Contains(o.stdout, "1h30m") {
		t.Fatalf("a hearing with a length: %+v", o)
	}
	o = s.run("", false, "upcoming", "--days", "30", "--ics", ics)
	if o.code != 0 || !strings.Contains(o.stderr, "Wrote 2 calendar entries to") {
		t.Fatalf("upcoming --ics: %+v", o)
	}
	if got := eventLengths(t, ics); len(got) != 2 || got[0] != 2*time.Hour || got[1] != 90*time.Minute {
		t.Fatalf("entries last %v, want [2h 1h30m]", got)
	}
}

// eventLengths reads DTEND − DTSTART of each VEVENT of the file at path.
func eventLengths(t *testing.T, path string) []time.Duration {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Duration
	var start time.Time
	for _, line := range strings.Split(string(data), "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		switch name {
		case "DTSTART", "DTEND":
			at, err := time.Parse("20060102T150405Z", value)
			if err != nil {
				t.Fatalf("%s in %q: %v", name, line, err)
			}
			if name == "DTSTART" {
				start = at
			} else {
				out = append(out, at.Sub(start))
			}
		}
	}
	return out
}
