package proceedings_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// nextOffsetChange returns the first day, at least two days ahead, on
// whose early morning loc's UTC offset changes (a daylight-saving change),
// with the offsets before and after.
func nextOffsetChange(t *testing.T, loc *time.Location) (day time.Time, before, after int) {
	t.Helper()
	now := time.Now().In(loc)
	base := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, loc)
	for i := 2; i < 400; i++ {
		prev, cur := base.AddDate(0, 0, i-1), base.AddDate(0, 0, i)
		_, b := prev.Zone()
		_, a := cur.Zone()
		if a != b {
			return time.Date(cur.Year(), cur.Month(), cur.Day(), 0, 0, 0, 0, loc), b, a
		}
	}
	t.Fatalf("%s has no offset change within a year", loc)
	return
}

func at9(t *testing.T, zone string, day time.Time) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
}

// TestUpcomingAcrossTimeZones is a lawyer's calendar with courts in three
// time zones around Belgrade's next daylight-saving change: each hearing
// is stored as the right UTC instant, returned with its court's zone (so
// it reads 09:00 there), and the calendar is ordered by instant, not by
// wall-clock time; an open deadline already past due comes first.
func TestUpcomingAcrossTimeZones(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	belgrade, err := time.LoadLocation("Europe/Belgrade")
	if err != nil {
		t.Fatal(err)
	}
	change, before, after := nextOffsetChange(t, belgrade)
	dayBefore, dayAfter := change.AddDate(0, 0, -1), change.AddDate(0, 0, 1)

	caseA, caseB := w.referredCase(), w.referredCase()
	court := func(caseID, zone string) *casebridgev1.Proceeding {
		p := criminal()
		p.CourtTimeZone, p.Court = zone, "court in "+zone
		return w.newProceeding(caseID, p)
	}
	bg, tokyo, ny := court(caseA, "Europe/Belgrade"), court(caseB, "Asia/Tokyo"), court(caseB, "America/New_York")
	hearing := func(pr *casebridgev1.Proceeding, start time.Time, zone string) *casebridgev1.Hearing {
		t.Helper()
		h := mainHearing(start, "private notes")
		h.CourtTimeZone = zone
		resp, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: h})
		if err != nil {
			t.Fatalf("add hearing at %v: %v", start, err)
		}
		return resp.GetHearing()
	}
	bgBefore := hearing(bg, at9(t, "Europe/Belgrade", dayBefore), "")
	bgAfter := hearing(bg, at9(t, "Europe/Belgrade", dayAfter), "")
	tokyoAfter := hearing(tokyo, at9(t, "Asia/Tokyo", dayAfter), "")
	nyAfter := hearing(ny, at9(t, "America/New_York", dayAfter), "")
	// A hearing held elsewhere than its court's seat carries its own zone.
	london := hearing(bg, at9(t, "Europe/London", dayAfter), "Europe/London")

	// The instant stored for 09:00 in Belgrade moved by the offset change.
	wantAfter := time.Date(dayAfter.Year(), dayAfter.Month(), dayAfter.Day(), 9, 0, 0, 0, time.UTC).Add(-time.Duration(after) * time.Second)
	if got := bgAfter.GetStartTime().AsTime(); !got.Equal(wantAfter) {
		t.Fatalf("09:00 Europe/Belgrade on %s stored as %s, want %s", dayAfter.Format(time.DateOnly), got, wantAfter)
	}
	gap := bgAfter.GetStartTime().AsTime().Sub(bgBefore.GetStartTime().AsTime())
	if want := 48*time.Hour - time.Duration(after-before)*time.Second; gap != want {
		t.Fatalf("two 09:00 hearings across the change are %v apart, want %v", gap, want)
	}

	// Deadlines: one past due and open (first), one met (absent), one
	// beyond the horizon (absent).
	deadline := func(due time.Time) *casebridgev1.Deadline {
		t.Helper()
		resp, err := w.ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: tokyo.GetId(), Deadline: &casebridgev1.Deadline{
			DueTime: timestamppb.New(due), Kind: casebridgev1.DeadlineKind_DEADLINE_KIND_FILING,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetDeadline()
	}
	overdue := deadline(time.Now().Add(-36 * time.Hour))
	met := deadline(time.Now().Add(-12 * time.Hour))
	if _, err := w.ps.UpdateDeadline(lw, &casebridgev1.UpdateDeadlineRequest{
		Deadline:   &casebridgev1.Deadline{Id: met.GetId(), Status: casebridgev1.DeadlineStatus_DEADLINE_STATUS_MET},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}, Etag: met.GetEtag(),
	}); err != nil {
		t.Fatal(err)
	}
	days := int32(dayAfter.Sub(time.Now()).Hours()/24) + 2
	deadline(time.Now().Add(time.Duration(days+3) * 24 * time.Hour))
	// A cancelled hearing is not on the calendar.
	gone := hearing(ny, at9(t, "America/New_York", dayBefore), "")
	if _, err := w.ps.CancelHearing(lw, &casebridgev1.CancelHearingRequest{Id: gone.GetId(), Reason: "settled"}); err != nil {
		t.Fatal(err)
	}

	// Expected order, by instant.
	want := []string{overdue.GetId(), bgBefore.GetId()}
	after9 := []*casebridgev1.Hearing{tokyoAfter, bgAfter, london, nyAfter}
	for i := 1; i < len(after9); i++ {
		if !after9[i-1].GetStartTime().AsTime().Before(after9[i].GetStartTime().AsTime()) {
			t.Fatalf("test setup: 09:00 in Tokyo, Belgrade, London, New York must be successive instants")
		}
	}
	for _, h := range after9 {
		want = append(want, h.GetId())
	}

	var got []*casebridgev1.UpcomingItem
	token := ""
	for pages := 0; ; pages++ {
		resp, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: days, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatalf("list upcoming: %v", err)
		}
		got = append(got, resp.GetItems()...)
		if token = resp.GetNextPageToken(); token == "" || pages > 10 {
			break
		}
	}
	ids := make([]string, len(got))
	for i, it := range got {
		ids[i] = it.GetHearing().GetId() + it.GetDeadline().GetId()
	}
	if len(ids) != len(want) {
		t.Fatalf("calendar has %d items, want %d: %v", len(ids), len(want), got)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("calendar item %d is %s, want %s\n%v", i, ids[i], want[i], got)
		}
	}
	// Each hearing reads 09:00 in the zone returned with it, and carries
	// enough to recognise it — but never the notes.
	for _, it := range got {
		h := it.GetHearing()
		if h == nil {
			if it.GetDeadline().GetCourtTimeZone() != "Asia/Tokyo" || it.GetCourt() != "court in Asia/Tokyo" {
				t.Errorf("deadline item %v", it)
			}
			continue
		}
		loc, err := time.LoadLocation(h.GetCourtTimeZone())
		if err != nil {
			t.Fatalf("returned zone %q: %v", h.GetCourtTimeZone(), err)
		}
		if local := h.GetStartTime().AsTime().In(loc); local.Hour() != 9 || local.Minute() != 0 {
			t.Errorf("hearing %s is at %s in %s, want 09:00", h.GetId(), local.Format(time.TimeOnly), h.GetCourtTimeZone())
		}
		if h.GetNotes() != "" || !equalClasses(h.GetRedactedClasses(), legalClass) {
			t.Errorf("calendar hearing shows notes or does not say they are redacted: %v", h)
		}
		if it.GetCaseReference() == "" || it.GetDocketNumber() != "K 123/2025" {
			t.Errorf("item lacks its case reference or docket: %v", it)
		}
	}
	if zone := got[len(got)-2].GetHearing().GetCourtTimeZone(); zone != "Europe/London" {
		t.Errorf("a hearing's own zone wins over its court's, got %q", zone)
	}

	// "Mine only": a proceeding without the caller as responsible lawyer drops out.
	if _, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{
		Proceeding: &casebridgev1.Proceeding{Id: ny.GetId()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"responsible_lawyer"}}, Etag: ny.GetEtag(),
	}); err != nil {
		t.Fatal(err)
	}
	mine, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: days, ResponsibleLawyer: lawyer})
	if err != nil || len(mine.GetItems()) != len(want)-1 {
		t.Fatalf("mine only: %d items, %v", len(mine.GetItems()), err)
	}
	// A short horizon keeps the overdue deadline and nothing after it.
	soon, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 1})
	if err != nil || len(soon.GetItems()) != 1 || soon.GetItems()[0].GetDeadline().GetId() != overdue.GetId() {
		t.Fatalf("one day ahead: %v %v", soon.GetItems(), err)
	}
	_, err = w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: days, PageToken: "bm90LWEtdG9rZW4"})
	wantField(t, err, "page_token")
	_, err = w.ps.ListUpcoming(w.as(otherCW), &casebridgev1.ListUpcomingRequest{})
	wantCode(t, err, codes.PermissionDenied)
}
