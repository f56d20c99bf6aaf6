// Package datetime reads the dates and times typed on the command line and
// shows the server's timestamps. Hearing times are typed and shown in the
// court's time zone — a lawyer in Skopje reading a Belgrade hearing wants
// the time on the court's summons — and sent to the server in UTC.
package datetime

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// DateLayout is the ISO 8601 calendar date the API uses.
const DateLayout = "2006-01-02"

// Date checks an ISO 8601 date (YYYY-MM-DD) and returns it as given;
// "today" is today's date in the local zone.
func Date(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "today") {
		return now.Format(DateLayout), nil
	}
	if _, err := time.Parse(DateLayout, s); err != nil {
		return "", fmt.Errorf("%q is not a date: write YYYY-MM-DD", s)
	}
	return s, nil
}

// localLayouts are the ways a wall-clock time may be typed.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// Time reads a moment: RFC 3339 with an offset ("2026-12-01T09:30:00+01:00"
// or "...Z"), or a wall-clock time ("2026-12-01 09:30") in loc.
func Time(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			// A wall-clock time skipped when the clocks go forward does not
			// exist; Go would silently move it by an hour.
			if t.Format(layout) != s {
				return time.Time{}, fmt.Errorf("%q does not exist in %s: the clocks go forward then (it would be %s)", s, loc, t.Format("15:04"))
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write \"YYYY-MM-DD HH:MM\" (in the court's time zone) or RFC 3339", s)
}

// Zone loads an IANA time zone; "" is UTC.
func Zone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (an IANA name such as Europe/Belgrade)", name)
	}
	return loc, nil
}

// In shows ts in the named zone ("2026-12-01 09:30 CET"), falling back to
// UTC for an unknown zone; "" for no timestamp.
func In(ts *timestamppb.Timestamp, zone string) string {
	if ts == nil {
		return ""
	}
	loc, err := Zone(zone)
	if err != nil {
		loc = time.UTC
	}
	return ts.AsTime().In(loc).Format("2006-01-02 15:04 MST")
}

// Local shows ts in the user's local zone, to the second.
func Local(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().Local().Format("2006-01-02 15:04:05")
}

// Day shows the date of ts in the user's local zone.
func Day(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().Local().Format(DateLayout)
}
