// Package ical writes a lawyer's hearings and deadlines as an RFC 5545
// iCalendar file, so that they can be imported into any calendar.
//
// Calendars are synchronised to phones and to third-party services, beyond
// Casebridge's protection, so an Event carries only what is already public
// (the court, its docket number, the kind of hearing or deadline) and never
// a victim's name, a case reference or notes. Callers fill it that way; this
// package only encodes.
package ical

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is one calendar entry.
type Event struct {
	// UID is globally unique and stable, so that re-importing an export
	// updates entries instead of duplicating them.
	UID     string
	Start   time.Time
	Summary string
	// Location is optional (the court).
	Location string
	// Duration is how long the entry lasts; zero is DefaultDuration.
	Duration time.Duration
}

// ProdID names the program that wrote the calendar (RFC 5545 §3.7.3).
const ProdID = "-//Casebridge//casectl//EN"

// Write writes a VCALENDAR holding one VEVENT per event. stamp is the
// DTSTAMP of every event (when the file was made). Times are written in
// UTC ("...Z"), which every calendar reads without time zone definitions.
func Write(w io.Writer, stamp time.Time, events []Event) error {
	lw := &lineWriter{w: w}
	lw.line("BEGIN:VCALENDAR")
	lw.line("VERSION:2.0")
	lw.line("PRODID:" + ProdID)
	lw.line("CALSCALE:GREGORIAN")
	lw.line("METHOD:PUBLISH")
	for _, e := range events {
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + escape(e.UID))
		lw.line("DTSTAMP:" + utc(stamp))
		lw.line("DTSTART:" + utc(e.Start))
		lw.line("DTEND:" + utc(e.Start.Add(e.duration())))
		lw.line("SUMMARY:" + escape(e.Summary))
		if e.Location != "" {
			lw.line("LOCATION:" + escape(e.Location))
		}
		lw.line("END:VEVENT")
	}
	lw.line("END:VCALENDAR")
	if lw.err != nil {
		return fmt.Errorf("write calendar: %w", lw.err)
	}
	return nil
}

// DefaultDuration is how long a hearing is blocked in the calendar when
// nothing says otherwise: courts summon for a time, not for a span.
const DefaultDuration = 2 * time.Hour

func (e Event) duration() time.Duration {
	if e.Duration > 0 {
		return e.Duration
	}
	return DefaultDuration
}

// utc is the DATE-TIME form with the UTC designator (RFC 5545 §3.3.5, form #2).
func utc(t time.Time) string {
	return t.UTC().Format("20060102T150405Z")
}

// escape escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and
// comma are escaped, a newline becomes "\n", other control characters are
// dropped because the grammar does not allow them.
func escape(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
