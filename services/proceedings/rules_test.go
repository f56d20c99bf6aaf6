package proceedings_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestBadInput sends every kind of bad input to ProceedingService: each is
// InvalidArgument naming the offending field, and nothing changes.
func TestBadInput(t *testing.T) {
	w := start(t)
	lw := w.as(lawyer)
	caseID := w.referredCase()
	pr := w.newProceeding(caseID, criminal())
	id, etag := pr.GetId(), pr.GetEtag()
	h, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: id, Hearing: mainHearing(time.Now().Add(time.Hour), "")})
	if err != nil {
		t.Fatal(err)
	}
	hid, hetag := h.GetHearing().GetId(), h.GetHearing().GetEtag()
	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	with := func(change func(p *casebridgev1.Proceeding)) *casebridgev1.Proceeding {
		p := criminal()
		change(p)
		return p
	}
	create := func(p *casebridgev1.Proceeding) func() error {
		return func() error {
			_, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: p})
			return err
		}
	}
	update := func(p *casebridgev1.Proceeding, paths ...string) func() error {
		return func() error {
			p.Id = id
			_, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{Proceeding: p, Etag: etag, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			return err
		}
	}
	outcome := func(o *casebridgev1.ProceedingOutcome) func() error {
		return func() error {
			_, err := w.ps.RecordOutcome(lw, &casebridgev1.RecordOutcomeRequest{Id: id, Outcome: o})
			return err
		}
	}
	conviction := casebridgev1.OutcomeKind_OUTCOME_KIND_CONVICTION
	addHearing := func(h *casebridgev1.Hearing) func() error {
		return func() error {
			_, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: id, Hearing: h})
			return err
		}
	}
	soon := timestamppb.New(time.Now().Add(time.Hour))

	tests := []struct {
		name  string
		field string
		call  func() error
	}{
		{"create without proceeding", "proceeding", func() error {
			_, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID})
			return err
		}},
		{"create bad case id", "case_id", func() error {
			_, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: "42", Proceeding: criminal()})
			return err
		}},
		{"create bad request id", "request_id", func() error {
			_, err := w.ps.CreateProceeding(lw, &casebridgev1.CreateProceedingRequest{CaseId: caseID, Proceeding: criminal(), RequestId: "retry"})
			return err
		}},
		{"create without kind", "proceeding", create(with(func(p *casebridgev1.Proceeding) { p.Kind = 0 }))},
		{"create without time zone", "proceeding", create(with(func(p *casebridgev1.Proceeding) { p.CourtTimeZone = "" }))},
		{"create unknown time zone", "proceeding.court_time_zone", create(with(func(p *casebridgev1.Proceeding) { p.CourtTimeZone = "Europe/Atlantis" }))},
		{"create server-local time zone", "proceeding.court_time_zone", create(with(func(p *casebridgev1.Proceeding) { p.CourtTimeZone = "Local" }))},
		{"create time zone with a space", "proceeding.court_time_zone", create(with(func(p *casebridgev1.Proceeding) { p.CourtTimeZone = "Europe/New York" }))},
		{"create unknown country", "proceeding.jurisdiction_country", create(with(func(p *casebridgev1.Proceeding) { p.JurisdictionCountry = "XX" }))},
		{"create lower-case country", "proceeding.jurisdiction_country", create(with(func(p *casebridgev1.Proceeding) { p.JurisdictionCountry = "rs" }))},
		{"create impossible start date", "proceeding.start_date", create(with(func(p *casebridgev1.Proceeding) { p.StartDate = "2025-02-30" }))},
		{"create future start date", "proceeding.start_date", create(with(func(p *casebridgev1.Proceeding) { p.StartDate = future }))},
		{"create strategic without goal", "proceeding.strategic_goal", create(with(func(p *casebridgev1.Proceeding) { p.Strategic = true }))},
		{"create goal without strategic", "proceeding.strategic_goal", create(with(func(p *casebridgev1.Proceeding) { p.StrategicGoal = "x" }))},
		{"create non-lawyer responsible", "proceeding.responsible_lawyer", create(with(func(p *casebridgev1.Proceeding) { p.ResponsibleLawyer = caseworker }))},
		{"create unknown lawyer", "proceeding.responsible_lawyer", create(with(func(p *casebridgev1.Proceeding) { p.ResponsibleLawyer = "nobody@nowhere" }))},
		{"create negative defendants", "proceeding.defendant_count", create(with(func(p *casebridgev1.Proceeding) { p.DefendantCount = -1 }))},
		{"create wrong stage enum", "proceeding.stage", create(with(func(p *casebridgev1.Proceeding) { p.Stage = 9 }))},
		{"create duplicate measures", "proceeding.protective_measures", create(with(func(p *casebridgev1.Proceeding) {
			m := casebridgev1.ProtectiveMeasure_PROTECTIVE_MEASURE_CLOSED_HEARING
			p.ProtectiveMeasures = []casebridgev1.ProtectiveMeasure{m, m}
		}))},
		{"create empty charge", "proceeding.charges[0]", create(with(func(p *casebridgev1.Proceeding) { p.Charges = []string{""} }))},
		{"create too long court", "proceeding.court", create(with(func(p *casebridgev1.Proceeding) { p.Court = strings.Repeat("c", 201) }))},
		{"update without mask", "update_mask", func() error {
			_, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{Proceeding: &casebridgev1.Proceeding{Id: id}, Etag: etag})
			return err
		}},
		{"update read-only stage", "update_mask", update(&casebridgev1.Proceeding{}, "stage")},
		{"update unknown field", "update_mask", update(&casebridgev1.Proceeding{}, "judge")},
		{"update without etag", "etag", func() error {
			_, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{Proceeding: &casebridgev1.Proceeding{Id: id},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"court"}}})
			return err
		}},
		{"update bad id", "proceeding.id", func() error {
			_, err := w.ps.UpdateProceeding(lw, &casebridgev1.UpdateProceedingRequest{Proceeding: &casebridgev1.Proceeding{Id: "p-1"}, Etag: etag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"court"}}})
			return err
		}},
		{"update unknown time zone", "proceeding.court_time_zone", update(&casebridgev1.Proceeding{CourtTimeZone: "Mars/Olympus_Mons"}, "court_time_zone")},
		{"update strategic without goal", "proceeding.strategic_goal", update(&casebridgev1.Proceeding{Strategic: true}, "strategic")},
		{"update non-lawyer responsible", "proceeding.responsible_lawyer", update(&casebridgev1.Proceeding{ResponsibleLawyer: supervisor}, "responsible_lawyer")},
		{"advance to unspecified", "stage", func() error {
			_, err := w.ps.AdvanceStage(lw, &casebridgev1.AdvanceStageRequest{Id: id})
			return err
		}},
		{"outcome without kind", "outcome", outcome(&casebridgev1.ProceedingOutcome{DecisionDate: "2025-01-10"})},
		{"outcome without decision date", "outcome", outcome(&casebridgev1.ProceedingOutcome{Kind: conviction})},
		{"outcome final before decision", "outcome", outcome(&casebridgev1.ProceedingOutcome{Kind: conviction, DecisionDate: "2025-01-10", FinalDate: "2025-01-09"})},
		{"outcome badly formed date", "outcome.decision_date", outcome(&casebridgev1.ProceedingOutcome{Kind: conviction, DecisionDate: "10.01.2025"})},
		{"outcome impossible date", "outcome.decision_date", outcome(&casebridgev1.ProceedingOutcome{Kind: conviction, DecisionDate: "2025-02-29"})},
		{"outcome in the future", "outcome.decision_date", outcome(&casebridgev1.ProceedingOutcome{Kind: conviction, DecisionDate: future})},
		{"hearing without start", "hearing", addHearing(&casebridgev1.Hearing{Type: casebridgev1.HearingType_HEARING_TYPE_MAIN})},
		{"hearing without type", "hearing", addHearing(&casebridgev1.Hearing{StartTime: soon})},
		{"hearing added cancelled", "hearing", addHearing(&casebridgev1.Hearing{StartTime: soon, Type: 1, Status: casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED})},
		{"hearing unknown time zone", "hearing.court_time_zone", addHearing(&casebridgev1.Hearing{StartTime: soon, Type: 1, CourtTimeZone: "Europe/Atlantis"})},
		{"hearing in 1900", "hearing.start_time", addHearing(&casebridgev1.Hearing{StartTime: timestamppb.New(time.Date(1900, 1, 1, 9, 0, 0, 0, time.UTC)), Type: 1})},
		{"hearing notes too long", "hearing.notes", addHearing(&casebridgev1.Hearing{StartTime: soon, Type: 1, Notes: strings.Repeat("n", 20001)})},
		{"hearing bad proceeding id", "proceeding_id", func() error {
			_, err := w.ps.AddHearing(lw, &casebridgev1.AddHearingRequest{ProceedingId: "x", Hearing: &casebridgev1.Hearing{StartTime: soon, Type: 1}})
			return err
		}},
		{"update hearing to cancelled", "", func() error {
			_, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{Hearing: &casebridgev1.Hearing{Id: hid, Status: casebridgev1.HearingStatus_HEARING_STATUS_CANCELLED},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}, Etag: hetag})
			return err
		}},
		{"update hearing unknown zone", "hearing.court_time_zone", func() error {
			_, err := w.ps.UpdateHearing(lw, &casebridgev1.UpdateHearingRequest{Hearing: &casebridgev1.Hearing{Id: hid, CourtTimeZone: "Nowhere/Town"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"court_time_zone"}}, Etag: hetag})
			return err
		}},
		{"cancel hearing without reason", "reason", func() error {
			_, err := w.ps.CancelHearing(lw, &casebridgev1.CancelHearingRequest{Id: hid})
			return err
		}},
		{"list hearings without parent", "", func() error {
			_, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{})
			return err
		}},
		{"list hearings wrong view", "view", func() error {
			_, err := w.ps.ListHearings(lw, &casebridgev1.ListHearingsRequest{ProceedingId: id, View: 7})
			return err
		}},
		{"deadline without due time", "deadline", func() error {
			_, err := w.ps.AddDeadline(lw, &casebridgev1.AddDeadlineRequest{ProceedingId: id, Deadline: &casebridgev1.Deadline{Kind: 1}})
			return err
		}},
		{"list proceedings forged token", "page_token", func() error {
			_, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{PageToken: "bm90LWEtdG9rZW4"})
			return err
		}},
		{"list proceedings page too big", "page_size", func() error {
			_, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{PageSize: 501})
			return err
		}},
		{"calendar beyond a year", "days", func() error {
			_, err := w.ps.ListUpcoming(lw, &casebridgev1.ListUpcomingRequest{Days: 400})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.call(), tc.field) })
	}
	got, err := w.ps.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetProceeding().GetEtag() != etag {
		t.Fatalf("a rejected request changed the proceeding: etag %s → %s", etag, got.GetProceeding().GetEtag())
	}
	list, err := w.ps.ListProceedings(lw, &casebridgev1.ListProceedingsRequest{CaseId: caseID})
	if err != nil || len(list.GetProceedings()) != 1 {
		t.Fatalf("a rejected create left a proceeding behind: %d, %v", len(list.GetProceedings()), err)
	}
}
