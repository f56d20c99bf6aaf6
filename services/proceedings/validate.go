package proceedings

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/iso"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// checkZone checks what the declared pattern cannot: that the time zone
// database knows the name. "Local" is refused: it would mean the server's
// own zone, which says nothing about the court.
func checkZone(field, name string) error {
	if name == "" {
		return nil
	}
	if name == "Local" {
		return rpcerr.InvalidArgument(field, "%q is not a court's time zone: use an IANA name such as Europe/Belgrade", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return rpcerr.InvalidArgument(field, "%q is not an IANA time zone known to the server", name)
	}
	return nil
}

// checkDate checks that a YYYY-MM-DD string (the shape is checked by the
// declared rules) is a real calendar day and not in the future: these
// dates record what happened. A day of slack allows for time zones ahead
// of UTC.
func checkDate(field, s string, now time.Time) error {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return rpcerr.InvalidArgument(field, "%q is not a calendar date (YYYY-MM-DD)", s)
	}
	if d.After(now.UTC().AddDate(0, 0, 1)) {
		return rpcerr.InvalidArgument(field, "%s is in the future", s)
	}
	return nil
}

func checkCountry(field, code string) error {
	if code != "" && !iso.ValidCountry(code) {
		return rpcerr.InvalidArgument(field, "%q is not an ISO 3166-1 alpha-2 country code", code)
	}
	return nil
}

// Instants outside these bounds are typing mistakes, not court dates.
var (
	earliest = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// instant converts a required timestamp to the UTC instant to store,
// truncated to PostgreSQL's microseconds so that what is returned later is
// exactly what was stored.
func instant(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, rpcerr.InvalidArgument(field, "not a valid timestamp")
	}
	t := ts.AsTime().UTC().Truncate(time.Microsecond)
	if t.Before(earliest) || !t.Before(latest) {
		return time.Time{}, rpcerr.InvalidArgument(field, "%s is outside %d–%d", t.Format(time.RFC3339), earliest.Year(), latest.Year()-1)
	}
	return t, nil
}

// Bounds of a hearing's expected length (the API's, and the column's check).
const (
	shortestHearing = 5 * time.Minute
	longestHearing  = 12 * time.Hour
)

// expectedLength converts an optional expected duration to whole seconds
// to store; nil stays nil (not said).
func expectedLength(field string, d *durationpb.Duration) (*int32, error) {
	if d == nil {
		return nil, nil
	}
	if err := d.CheckValid(); err != nil {
		return nil, rpcerr.InvalidArgument(field, "not a valid duration")
	}
	v := d.AsDuration()
	if v < shortestHearing || v > longestHearing {
		return nil, rpcerr.InvalidArgument(field, "%s is outside %s–%s", v, shortestHearing, longestHearing)
	}
	secs := int32(v / time.Second)
	return &secs, nil
}
