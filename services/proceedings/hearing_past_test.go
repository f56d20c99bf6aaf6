package proceedings_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestHearingInThePastIsNotScheduled: whatever the client, a hearing is
// not scheduled for a time already past (InvalidArgument naming
// hearing.start_time) — one that took place is recorded as held — and an
// update may not move a scheduled hearing into the past unless it records
// it as held.
func TestHearingInThePastIsNotScheduled(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	pr := w.newProceeding(w.referredCase(), criminal())
	past := time.Now().Add(-3 * 24 * time.Hour).Truncate(time.Minute)

	_, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(past, "")})
	wantField(t, err, "hearing.start_time")
	held := mainHearing(past, "")
	held.Status = casebridgev1.HearingStatus_HEARING_STATUS_HELD
	if _, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: held}); err != nil {
		t.Fatalf("recording a held hearing: %v", err)
	}

	ahead, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: pr.GetId(), Hearing: mainHearing(time.Now().Add(48*time.Hour), "")})
	if err != nil {
		t.Fatal(err)
	}
	h := ahead.GetHearing()
	_, err = w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetId(), StartTime: timestamppb.New(past)}, Etag: h.GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"start_time"}},
	})
	wantField(t, err, "hearing.start_time")
	if _, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{
		Hearing: &casebridgev1.Hearing{Id: h.GetId(), StartTime: timestamppb.New(past), Status: casebridgev1.HearingStatus_HEARING_STATUS_HELD}, Etag: h.GetEtag(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"start_time", "status"}},
	}); err != nil {
		t.Fatalf("moving a hearing into the past as held: %v", err)
	}
}
