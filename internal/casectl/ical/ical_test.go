package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWrite(t *testing.T) {
	belgrade, err := time.LoadLocation("Europe/Belgrade")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	stamp := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	events := []Event{
		{UID: "hearing-1@casebridge", Start: time.Date(2026, 12, 1, 9, 30, 0, 0, belgrade),
			Summary: "Hearing (main): Higher Court in Belgrade, K 123/2026", Location: "Higher Court in Belgrade"},
		{UID: "deadline-2@casebridge", Start: time.Date(2026, 12, 15, 23, 59, 59, 0, time.UTC), Duration: time.Second,
			Summary: "Deadline (appeal); K 1/26\\x"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, stamp, events); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	want := "BEGIN:VCALENDAR\r\n" +
		"VERSION:2.0\r\n" +
		"PRODID:-//Casebridge//casectl//EN\r\n" +
		"CALSCALE:GREGORIAN\r\n" +
		"METHOD:PUBLISH\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:hearing-1@casebridge\r\n" +
		"DTSTAMP:20261123T080000Z\r\n" +
		// 09:30 in Belgrade (CET, UTC+1 in December) is 08:30 UTC.
		"DTSTART:20261201T083000Z\r\n" +
		"DTEND:20261201T103000Z\r\n" + // a hearing blocks two hours
		"SUMMARY:Hearing (main): Higher Court in Belgrade\\, K 123/2026\r\n" +
		"LOCATION:Higher Court in Belgrade\r\n" +
		"END:VEVENT\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:deadline-2@casebridge\r\n" +
		"DTSTAMP:20261123T080000Z\r\n" +
		"DTSTART:20261215T235959Z\r\n" +
		"DTEND:20261216T000000Z\r\n" +
		"SUMMARY:Deadline (appeal)\\; K 1/26\\\\x\r\n" +
		"END:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	if got != want {
		t.Errorf("calendar:\n%q\nwant:\n%q", got, want)
	}
}

func TestEmptyCalendarIsValid(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(buf.String(), "END:VCALENDAR\r\n") {
		t.Errorf("empty calendar: %q", buf.String())
	}
}

func TestFoldKeepsLinesShortAndRunesWhole(t *testing.T) {
	long := "SUMMARY:" + strings.Repeat("Viši sud u Beogradu — ročište ", 8)
	folded := fold(long)
	if !strings.HasSuffix(folded, "\r\n") {
		t.Fatal("no CRLF at the end")
	}
	lines := strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n")
	if len(lines) < 3 {
		t.Fatalf("expected folding, got %d lines", len(lines))
	}
	var unfolded strings.Builder
	for i, l := range lines {
		if len(l) > maxOctets {
			t.Errorf("line %d has %d octets", i, len(l))
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i, l)
		}
		if i > 0 {
			if !strings.HasPrefix(l, " ") {
				t.Errorf("continuation line %d does not start with a space", i)
			}
			l = l[1:]
		}
		unfolded.WriteString(l)
	}
	if unfolded.String() != long {
		t.Error("unfolding does not give back the line")
	}
	if fold("short") != "short\r\n" {
		t.Error("a short line must not be folded")
	}
}

func TestEscape(t *testing.T) {
	if got := escape("a,b;c\\d\r\ne\x07"); got != `a\,b\;c\\d\ne` {
		t.Errorf("escape = %q", got)
	}
}
