package datetime

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestTimeInTheCourtsZone(t *testing.T) {
	belgrade, err := Zone("Europe/Belgrade")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for in, wantUTC := range map[string]string{
		"2026-12-01 09:30":          "2026-12-01T08:30:00Z", // CET, UTC+1
		"2026-07-01T09:30":          "2026-07-01T07:30:00Z", // CEST, UTC+2
		"2026-12-01T09:30:00+03:00": "2026-12-01T06:30:00Z", // an explicit offset wins
		"2026-12-01T09:30:00Z":      "2026-12-01T09:30:00Z",
	} {
		got, err := Time(in, belgrade)
		if err != nil {
			t.Errorf("Time(%q): %v", in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339); s != wantUTC {
			t.Errorf("Time(%q) = %s UTC, want %s", in, s, wantUTC)
		}
	}
	if _, err := Time("next tuesday", belgrade); err == nil {
		t.Error("free text must be refused")
	}
	ts := timestamppb.New(time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC))
	if got := In(ts, "Europe/Belgrade"); got != "2026-12-01 09:30 CET" {
		t.Errorf("In = %q", got)
	}
	if got := In(ts, "Not/AZone"); got != "2026-12-01 08:30 UTC" {
		t.Errorf("In with an unknown zone = %q", got)
	}
}

func TestDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if d, err := Date("today", now); err != nil || d != "2026-11-23" {
		t.Errorf("today = %q, %v", d, err)
	}
	if d, err := Date("2026-02-28", now); err != nil || d != "2026-02-28" {
		t.Errorf("date = %q, %v", d, err)
	}
	for _, bad := range []string{"2026-02-30", "23.11.2026", "2026/11/23"} {
		if _, err := Date(bad, now); err == nil {
			t.Errorf("Date(%q) accepted", bad)
		}
	}
}

// TestTimeInDaylightSavingGap: 02:30 on the last Sunday of March does not
// exist in Belgrade; it is refused instead of silently moved to 03:30.
func TestTimeInDaylightSavingGap(t *testing.T) {
	belgrade, err := time.LoadLocation("Europe/Belgrade")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Time("2026-03-29 02:30", belgrade); err == nil || !strings.Contains(err.Error(), "does not exist in Europe/Belgrade") {
		t.Fatalf("a time in the spring-forward gap: %v", err)
	}
	if got, err := Time("2026-03-29 03:30", belgrade); err != nil || got.UTC().Format("15:04") != "01:30" {
		t.Fatalf("03:30 after the change: %v %v", got, err)
	}
}
