package datetime

import (
	"regexp"
	"testing"
	"time"
)

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// FuzzDate: whatever is typed as a date is refused or becomes a real
// YYYY-MM-DD date that reads back as itself — never a panic.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2026-03-01", "today", "yesterday", "2026-02-30", "1.3.2026", "-1d", "+2w", "0000-00-00", "9999-12-31"} {
		f.Add(s)
	}
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Date(s, now)
		if err != nil {
			return
		}
		if !isoDate.MatchString(d) {
			t.Fatalf("Date(%q) = %q, not YYYY-MM-DD", s, d)
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			t.Fatalf("Date(%q) = %q, not a real date: %v", s, d, err)
		}
		if again, err := Date(d, now); err != nil || again != d {
			t.Fatalf("Date(%q) = %q, which reads back as %q %v", s, d, again, err)
		}
	})
}
