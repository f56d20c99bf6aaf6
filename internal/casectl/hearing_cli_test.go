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
// calendar says "1 calendar entry" and gives each entry an end.
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
	data, err := os.ReadFile(ics)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\r\nDTEND:") {
		t.Errorf("the calendar entry has no DTEND:\n%s", data)
	}
}
